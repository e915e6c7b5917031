/// Why a TFLite file cannot be imported faithfully. The CLI prints `description` after the file
/// name and exits with status 2.
public enum TFLiteImportError: Error, Equatable, Sendable {
    /// The flatbuffer is truncated or corrupt: an offset, count or size points outside the file.
    case corrupt(detail: String)
    /// An operator mnconvert does not convert.
    case unsupportedOp(index: Int, op: String)
    /// An operator whose options or operands ask for something mnconvert does not reproduce exactly.
    case unsupportedOptions(index: Int, op: String, detail: String)
    /// A model that computes on integers (uint8 / int8 / int16 activations).
    case quantized(detail: String)
    /// A tensor whose shape, type or data is inconsistent.
    case invalidTensor(name: String, detail: String)
    /// A weight holding NaN or infinity.
    case nonFiniteWeight(name: String, index: Int)
    /// The graph's structure is wrong (no subgraph, a tensor read before it is written, ...).
    case invalidGraph(detail: String)
}

extension TFLiteImportError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .corrupt(let detail):
            "not a readable TFLite model (\(detail)); check that the file is complete"
        case .unsupportedOp(let index, let op):
            "operator \(index): \(op) is not supported; see Docs/TFLite.md for the operators mnconvert converts"
        case .unsupportedOptions(let index, let op, let detail):
            "operator \(index) (\(op)): \(detail)"
        case .quantized(let detail):
            "\(detail): a full-integer (quantized) model; mnconvert computes in fp32 and does not support quantized models yet (convert the float model instead)"
        case .invalidTensor(let name, let detail):
            "tensor '\(name)': \(detail); the file is corrupt"
        case .nonFiniteWeight(let name, let index):
            "weight '\(name)' holds NaN or infinity at element \(index); the model cannot be converted faithfully"
        case .invalidGraph(let detail):
            "the graph is malformed: \(detail)"
        }
    }
}
