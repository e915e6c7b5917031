import MobileNetIR

/// Shape arithmetic evaluated at import time.
///
/// Exporters write a reshape to "the batch size, then 1000" as a small integer subgraph:
/// `Shape -> Gather -> Cast -> Slice -> Concat -> Cast -> Reshape` (tf2onnx does for Keras's
/// `Reshape` with a dynamic batch). The IR has no integer tensors, so such subgraphs are
/// evaluated here into a constant `reshape` target: each element is either known, or a dimension
/// of some value that is only fixed when the model runs. A Reshape whose target has one such
/// element becomes `0` (copy that dimension) when it is the same dimension of the Reshape's own
/// input, or `-1` (inferred) otherwise.
enum ShapeElement: Equatable {
    case known(Int64)
    /// Dimension `axis` of the value `value`, fixed at run time.
    case dimension(value: String, axis: Int)
}

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
        if case let known = result.compactMap({ if case .known(let v) = $0 { v } else { nil } }), known.count == result.count {
            integerConstants[output] = known
        }
    }

    /// The reshape target for a shape computed at import time, in the IR's `0` / `-1` convention.
    func reshapeTarget(_ elements: [ShapeElement], input: String, node: ONNXNode) throws(ONNXImportError) -> [Int] {
        let unknown = elements.filter { if case .dimension = $0 { true } else { false } }.count
        return try elements.enumerated().map { (position, element) throws(ONNXImportError) in
            switch element {
            case .known(let v):
                guard abs(v) < 1 << 30 else { throw unsupported(node, "target dimension \(v) is out of range") }
                return Int(v)
            case .dimension(let value, let axis):
                if value == input && axis == position { return 0 }
                if unknown == 1 { return -1 }
                throw unsupported(node, "a target shape with several dimensions fixed only at run time")
            }
        }
    }

    private func shapeOperand(_ node: ONNXNode, _ index: Int) throws(ONNXImportError) -> [ShapeElement] {
        let name = try input(node, index)
        if let values = shapeValues[name] { return values }
        if let values = integerConstants[name] { return values.map { .known($0) } }
        throw unsupported(node, "input '\(name)' is neither a constant nor a shape")
    }

    /// `Shape(value)`: dimensions that are the same for two different sizes of every open input
    /// dimension are known; the others are fixed at run time.
    private func shapeOf(_ value: String, node: ONNXNode) throws(ONNXImportError) -> [ShapeElement] {
        let partial = Graph(inputs: graphInputs, outputs: [], nodes: nodes, constants: constants,
                            metadata: Metadata(sourceFormat: "onnx", producer: "", sourceInputLayout: nil))
        func shapes(_ batch: Int, _ side: Int) -> [Int]? {
            var inputShapes: [String: [Int]] = [:]
            for input in graphInputs {
                inputShapes[input.name] = input.shape.enumerated().map { axis, d in d ?? (axis == 0 ? batch : side) }
            }
            return (try? partial.inferShapes(inputShapes: inputShapes))?[value]
        }
        guard let first = shapes(1, 224), let second = shapes(2, 256), first.count == second.count else {
            throw unsupported(node, "the shape of '\(value)' cannot be determined at import time")
        }
        var elements = zip(first, second).enumerated().map { axis, pair in
            pair.0 == pair.1 ? ShapeElement.known(Int64(pair.0)) : .dimension(value: value, axis: axis)
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
