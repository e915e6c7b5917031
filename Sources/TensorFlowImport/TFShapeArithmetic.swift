import MobileNetIR
import ProtobufFormats

/// Integer shape arithmetic evaluated at import.
///
/// Keras 3 writes `Reshape((classes,))` with a dynamic batch as
/// `Shape -> StridedSlice(shrink) -> Pack(batch, classes) -> Reshape`. These nodes are evaluated on
/// `ShapeElement`s (known, or a dimension fixed at run time) into a constant reshape target.
extension TFGraphBuilder {
    static let shapeOps: Set<String> = ["Shape", "StridedSlice", "Pack", "ConcatV2", "Cast", "Identity"]

    /// Evaluates `node` when it computes on shapes; false when it is data flow.
    mutating func evaluateIfShapeArithmetic(_ node: TFNode) throws(TensorFlowImportError) -> Bool {
        guard Self.shapeOps.contains(node.op) else { return false }
        if node.op == "Shape" {
            guard let input = node.inputs.first, let value = values[input.node] else { return false }
            guard let ir = irShape(value.name) else {
                throw .unsupportedAttribute(node: node.name, op: node.op, detail: "the shape of '\(input.node)' cannot be determined at import time")
            }
            // In TensorFlow's axis order.
            shapeValues[node.name] = value.permuted ? (0..<4).map { ir[TensorLayout.nhwc.nchwAxis($0)] } : ir
            return true
        }
        let operands = node.inputs.map { shapeValues[$0.node] ?? folded[$0.node]?.int64s.map { $0.map(ShapeElement.known) } }
        guard node.inputs.contains(where: { shapeValues[$0.node] != nil }), operands.allSatisfy({ $0 != nil }) else { return false }
        let elements = operands.map { $0! }
        let result: [ShapeElement]
        switch node.op {
        case "Identity", "Cast":
            result = elements[0]
        case "Pack":
            guard integer(node, "axis") ?? 0 == 0, elements.allSatisfy({ $0.count == 1 }) else {
                throw unsupported(node, "only packing scalars along axis 0 is supported on shapes")
            }
            result = elements.map { $0[0] }
        case "ConcatV2":
            guard elements.last.map({ $0.count == 1 && $0[0].knownValue == 0 }) == true else {
                throw unsupported(node, "only concatenation along axis 0 is supported on shapes")
            }
            result = elements.dropLast().flatMap { $0 }
        default:  // StridedSlice on a vector
            result = try stridedSlice(node, elements)
        }
        shapeValues[node.name] = result
        let known = result.compactMap(\.knownValue)
        if known.count == result.count { folded[node.name] = ProtoTensor(shape: [known.count], values: .int64(known)) }
        return true
    }

    private func stridedSlice(_ node: TFNode, _ operands: [[ShapeElement]]) throws(TensorFlowImportError) -> [ShapeElement] {
        guard operands.count == 4,
              let begin = operands[1].first?.knownValue, let end = operands[2].first?.knownValue, let step = operands[3].first?.knownValue,
              operands[1].count == 1, step == 1 else {
            throw unsupported(node, "only a one-axis, step-1 slice of a shape is supported")
        }
        guard integer(node, "ellipsis_mask") ?? 0 == 0, integer(node, "new_axis_mask") ?? 0 == 0 else {
            throw unsupported(node, "ellipsis and new-axis masks are not supported on shapes")
        }
        let data = operands[0], n = Int64(data.count)
        func clamp(_ v: Int64) -> Int { Int(max(0, min(n, v < 0 ? v + n : v))) }
        var lower = clamp(begin), upper = clamp(end)
        if (integer(node, "begin_mask") ?? 0) & 1 != 0 { lower = 0 }
        if (integer(node, "end_mask") ?? 0) & 1 != 0 { upper = Int(n) }
        if (integer(node, "shrink_axis_mask") ?? 0) & 1 != 0 {
            guard lower < data.count else { throw unsupported(node, "index \(begin) out of range") }
            return [data[lower]]
        }
        return lower < upper ? Array(data[lower..<upper]) : []
    }

    func integer(_ node: TFNode, _ name: String) -> Int64? {
        if case .int(let v)? = node.attributes[name] { return v }
        return nil
    }
}
