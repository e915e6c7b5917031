import Foundation
import MobileNetIR
import ProtobufFormats

/// Evaluation of constant subgraphs at import.
///
/// Frozen graphs compute much of their weights from other constants: TF-slim's unfused BatchNorm
/// (`Rsqrt(var + eps) * gamma`, `beta - mean * scale`), Keras 3's same arithmetic, `/read`
/// identities, reshaped biases. Any node of these ops whose inputs are all constants is evaluated
/// here, in `Double`, whatever spelling produced it; what remains is data flow.
extension TFGraphBuilder {
    static let foldableOps: Set<String> = [
        "Identity", "StopGradient", "Snapshot", "Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum",
        "Rsqrt", "Sqrt", "Reciprocal", "Neg", "Square", "Reshape", "ExpandDims", "Squeeze", "Cast",
    ]

    /// Evaluates `node` when it is a constant or a foldable op on constants; false otherwise.
    mutating func foldIfConstant(_ node: TFNode) throws(TensorFlowImportError) -> Bool {
        if node.op == "Const" {
            guard case .tensor(let tensor)? = node.attributes["value"] else {
                throw .invalidTensor(name: node.name, detail: "a Const without a tensor value")
            }
            folded[node.name] = tensor
            return true
        }
        guard Self.foldableOps.contains(node.op), !node.inputs.isEmpty,
              node.inputs.allSatisfy({ folded[$0.node] != nil && $0.output == 0 }) else { return false }
        let operands = node.inputs.map { folded[$0.node]! }
        let a = operands[0]
        switch node.op {
        case "Identity", "StopGradient", "Snapshot":
            folded[node.name] = a
        case "Cast":
            let destination: Int32? = if case .type(let t)? = node.attributes["DstT"] { t } else { nil }
            switch destination {
            case 1?, 2?, 19?: folded[node.name] = ProtoTensor(shape: a.shape, values: .float(a.floats))
            case 3?, 9?: folded[node.name] = ProtoTensor(shape: a.shape, values: .int64(a.int64s ?? a.floats.map { Int64($0) }))
            default: return false
            }
        case "Rsqrt", "Sqrt", "Reciprocal", "Neg", "Square":
            let f: (Double) -> Double = switch node.op {
            case "Rsqrt": { 1 / $0.squareRoot() }
            case "Sqrt": { $0.squareRoot() }
            case "Reciprocal": { 1 / $0 }
            case "Neg": { -$0 }
            default: { $0 * $0 }
            }
            folded[node.name] = ProtoTensor(shape: a.shape, values: .float(a.floats.map { Float(f(Double($0))) }))
        case "Reshape", "ExpandDims", "Squeeze":
            let shape = try foldedShape(node, operands)
            folded[node.name] = ProtoTensor(shape: shape, values: a.values)
        default:
            guard operands.count == 2 else { return false }
            folded[node.name] = try elementwise(node, a, operands[1])
        }
        return true
    }

    /// The shape a constant Reshape, ExpandDims or Squeeze gives its input.
    private func foldedShape(_ node: TFNode, _ operands: [ProtoTensor]) throws(TensorFlowImportError) -> [Int] {
        let input = operands[0].shape
        switch node.op {
        case "Reshape":
            guard operands.count == 2, let target = operands[1].int64s else { throw invalid(node, "a Reshape without an integer shape") }
            var shape = target.map { Int($0) }
            let known = shape.filter { $0 >= 0 }.reduce(1, *)
            if let i = shape.firstIndex(of: -1), known > 0 { shape[i] = operands[0].count / known }
            guard shape.reduce(1, *) == operands[0].count else { throw invalid(node, "cannot reshape \(input) to \(target)") }
            return shape
        case "ExpandDims":
            guard operands.count == 2, let axis = operands[1].int64s?.first else { throw invalid(node, "an ExpandDims without an axis") }
            let a = Int(axis) < 0 ? Int(axis) + input.count + 1 : Int(axis)
            guard (0...input.count).contains(a) else { throw invalid(node, "axis \(axis) out of range") }
            var shape = input
            shape.insert(1, at: a)
            return shape
        default:
            var axes: [Int64] = []
            if case .list(let ints, _, _)? = node.attributes["squeeze_dims"] { axes = ints }
            let normalized = Set(axes.map { (axis: Int64) -> Int in axis < 0 ? Int(axis) + input.count : Int(axis) })
            return input.enumerated().filter { axis, d in normalized.isEmpty ? d != 1 : !normalized.contains(axis) }.map(\.element)
        }
    }

    /// Numpy-broadcast arithmetic on two constants, in `Double`.
    private func elementwise(_ node: TFNode, _ a: ProtoTensor, _ b: ProtoTensor) throws(TensorFlowImportError) -> ProtoTensor {
        guard let shape = broadcastShape(a.shape, b.shape) else { throw invalid(node, "cannot broadcast \(a.shape) with \(b.shape)") }
        let rank = shape.count
        let (sa, sb) = (broadcastStrides(a.shape, rank: rank), broadcastStrides(b.shape, rank: rank))
        let (va, vb) = (a.floats, b.floats)
        let op: (Double, Double) -> Double = switch node.op {
        case "Add", "AddV2": { $0 + $1 }
        case "Sub": { $0 - $1 }
        case "Mul": { $0 * $1 }
        case "RealDiv": { $0 / $1 }
        case "Maximum": { max($0, $1) }
        default: { min($0, $1) }
        }
        var result = [Double](repeating: 0, count: shape.reduce(1, *))
        forEachIndex(shape) { i, index in
            var ia = 0, ib = 0
            for axis in 0..<rank {
                ia += index[axis] * sa[axis]
                ib += index[axis] * sb[axis]
            }
            result[i] = op(Double(va[ia]), Double(vb[ib]))
        }
        if a.int64s != nil, b.int64s != nil { return ProtoTensor(shape: shape, values: .int64(result.map { Int64($0) })) }
        return ProtoTensor(shape: shape, values: .float(result.map { Float($0) }))
    }

    private func invalid(_ node: TFNode, _ detail: String) -> TensorFlowImportError {
        .unsupportedAttribute(node: node.name, op: node.op, detail: detail)
    }
}
