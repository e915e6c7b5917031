extension Graph {
    /// Checks that the graph is well formed: every value defined once and before it is read, every
    /// output defined, every node with the inputs and outputs its op takes.
    public func validate() throws(IRError) {
        var defined = Set(constants.keys)
        for input in inputs {
            guard defined.insert(input.name).inserted else { throw .duplicateValue(input.name) }
        }
        for node in nodes {
            let (minInputs, maxInputs) = node.op.inputArity
            guard (minInputs...maxInputs).contains(node.inputs.count) else {
                let expected = minInputs == maxInputs ? "\(minInputs)" : "\(minInputs) to \(maxInputs)"
                throw .arity(node: node.name, op: node.op.name, detail: "takes \(expected) inputs, has \(node.inputs.count)")
            }
            guard node.outputs.count == 1, !node.output.isEmpty else {
                throw .arity(node: node.name, op: node.op.name, detail: "must have exactly one named output")
            }
            for (position, input) in node.inputs.enumerated() {
                if input.isEmpty {
                    guard position >= minInputs else {
                        throw .arity(node: node.name, op: node.op.name, detail: "input \(position) is required")
                    }
                    continue
                }
                guard defined.contains(input) else { throw .undefinedValue(node: node.name, value: input) }
            }
            guard defined.insert(node.output).inserted else { throw .duplicateValue(node.output) }
        }
        for output in outputs where !defined.contains(output) { throw .undefinedOutput(output) }
    }
}

extension Op {
    /// The smallest and largest number of inputs the op takes (optional inputs count in the largest).
    public var inputArity: (Int, Int) {
        switch self {
        case .conv2d, .dense: (2, 3)
        case .batchNorm: (5, 5)
        case .affine: (3, 3)
        case .binary: (2, 2)
        case .concat: (1, 1 << 16)
        default: (1, 1)
        }
    }
}
