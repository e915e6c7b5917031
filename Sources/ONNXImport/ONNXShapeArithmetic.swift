import MobileNetIR

/// Shape arithmetic evaluated at import time.
///
/// tf2onnx writes Keras's `Reshape` with a dynamic batch as a small integer subgraph:
/// `Shape -> Gather -> Cast -> Slice -> Concat -> Cast -> Reshape`. The IR has no integer
/// tensors, so such subgraphs are evaluated here on `ShapeElement`s into a constant `reshape`
/// target (`ShapeElement.reshapeTarget`).
extension ONNXGraphBuilder {
    /// Whether `node` is a shape computation this file evaluates (rather than a data op).
    func isShapeArithmetic(_ node: ONNXNode) -> Bool {
        switch node.opType {
        case "Shape": return true
        case "Gather", "Cast", "Slice", "Concat", "Unsqueeze", "Squeeze", "Identity":
            // On an integer constant or a shape: integer arithmetic, not data.
            return node.inputs.first.map { shapeValues[$0] != nil || integerConstants[$0] != nil } ?? false
        default: return false
        }
    }

    mutating func convertShapeArithmetic(_ node: ONNXNode) throws(ONNXImportError) {
        let result: [ShapeElement]
        switch node.opType {
        case "Shape":
            result = try shapeOf(try input(node, 0), node: node)
        case "Gather":
            let data = try shapeOperand(node, 0)
            guard try int(node, "axis", default: 0) == 0, let indices = try constantInts(node, 1) else {
                throw unsupported(node, "only Gather along axis 0 with constant indices is supported on shapes")
            }
            result = try indices.map { (i) throws(ONNXImportError) in
                let index = i < 0 ? i + data.count : i
                guard data.indices.contains(index) else { throw unsupported(node, "index \(i) out of range") }
                return data[index]
            }
        case "Cast", "Identity":
            result = try shapeOperand(node, 0)
        case "Slice":
            let data = try shapeOperand(node, 0)
            let starts: [Int], ends: [Int]
            if opset < 10 {
                guard let s = try ints(node, "starts"), let e = try ints(node, "ends") else { throw unsupported(node, "Slice without starts/ends") }
                (starts, ends) = (s, e)
            } else {
                guard let s = try constantInts(node, 1), let e = try constantInts(node, 2) else { throw unsupported(node, "Slice with computed bounds") }
                (starts, ends) = (s, e)
                if let steps = try constantInts(node, 4), steps.contains(where: { $0 != 1 }) { throw unsupported(node, "Slice with steps on a shape") }
            }
            guard starts.count == 1, ends.count == 1 else { throw unsupported(node, "Slice of a shape along more than one axis") }
            let clamp = { (v: Int) in v < 0 ? max(0, v + data.count) : min(v, data.count) }
            let (lower, upper) = (clamp(starts[0]), clamp(ends[0]))
            result = lower < upper ? Array(data[lower..<upper]) : []
        case "Concat":
            var parts: [ShapeElement] = []
            for i in node.inputs.indices { parts += try shapeOperand(node, i) }
            result = parts
        case "Unsqueeze", "Squeeze":
            result = try shapeOperand(node, 0)
        default:
            throw unsupported(node, "not a shape operation")
        }
        let output = node.outputs[0]
        shapeValues[output] = result
        let known = result.compactMap(\.knownValue)
        if known.count == result.count { integerConstants[output] = known }
    }

    private func shapeOperand(_ node: ONNXNode, _ index: Int) throws(ONNXImportError) -> [ShapeElement] {
        let name = try input(node, index)
        if let values = shapeValues[name] { return values }
        if let values = integerConstants[name] { return values.map { .known($0) } }
        throw unsupported(node, "input '\(name)' is neither a constant nor a shape")
    }

    /// `Shape(value)`, with the `start` / `end` of opset 15.
    private func shapeOf(_ value: String, node: ONNXNode) throws(ONNXImportError) -> [ShapeElement] {
        let partial = Graph(inputs: graphInputs, outputs: [], nodes: nodes, constants: constants,
                            metadata: Metadata(sourceFormat: "onnx", producer: "", sourceInputLayout: nil))
        guard var elements = partial.symbolicShape(of: value) else {
            throw unsupported(node, "the shape of '\(value)' cannot be determined at import time")
        }
        if opset >= 15 {
            let start = try int(node, "start", default: 0), end = try int(node, "end", default: elements.count)
            let clamp = { (v: Int) in v < 0 ? max(0, v + elements.count) : min(v, elements.count) }
            elements = clamp(start) < clamp(end) ? Array(elements[clamp(start)..<clamp(end)]) : []
        }
        return elements
    }

    private func unsupported(_ node: ONNXNode, _ detail: String) -> ONNXImportError {
        .unsupportedAttribute(node: node.displayName, opType: node.opType, detail: detail)
    }
}
