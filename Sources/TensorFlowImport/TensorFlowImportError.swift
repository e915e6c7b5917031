/// Why a TensorFlow GraphDef cannot be imported faithfully. The CLI prints `description` after
/// the file name and exits with status 2.
public enum TensorFlowImportError: Error, Equatable, Sendable {
    /// The bytes are not a GraphDef (empty, truncated, or another format).
    case notAGraph(detail: String)
    /// An op mnconvert does not convert.
    case unsupportedOp(node: String, op: String)
    /// An op whose attributes ask for behaviour mnconvert does not reproduce exactly.
    case unsupportedAttribute(node: String, op: String, detail: String)
    /// A weight (filter, bias, statistic, matrix) that is missing or computed rather than constant.
    case nonConstantWeight(node: String, op: String, input: String)
    /// A node reads a node the graph does not have.
    case missingNode(node: String, input: String)
    /// A constant whose declared shape does not match its data.
    case invalidTensor(name: String, detail: String)
    /// A constant of an element type mnconvert cannot use.
    case unsupportedDataType(name: String, dataType: Int32)
    /// A weight holding NaN or infinity.
    case nonFiniteWeight(name: String, index: Int)
    /// The input to feed cannot be chosen (none, several, or an unknown name).
    case inputs(String)
    /// The output to compute cannot be chosen (none, several, or an unknown name).
    case outputs(String)
    /// The graph is malformed (a cycle).
    case invalidGraph(String)
}

extension TensorFlowImportError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notAGraph(let detail):
            "not a TensorFlow GraphDef (\(detail)); check that the file is a complete frozen graph (.pb)"
        case .unsupportedOp(let node, let op):
            "node '\(node)': op \(op) is not supported; see Docs/IR.md for the ops mnconvert converts"
        case .unsupportedAttribute(let node, let op, let detail):
            "node '\(node)' (\(op)): \(detail)"
        case .nonConstantWeight(let node, let op, let input):
            "node '\(node)' (\(op)): its weight '\(input)' is not a constant; freeze the graph (convert variables to constants) first"
        case .missingNode(let node, let input):
            "node '\(node)' reads '\(input)', which the graph does not contain; the file is incomplete"
        case .invalidTensor(let name, let detail):
            "constant '\(name)': \(detail); the file is corrupt"
        case .unsupportedDataType(let name, let dataType):
            "constant '\(name)' has TensorFlow data type \(dataType); mnconvert reads float, half, double, int32 and int64 constants"
        case .nonFiniteWeight(let name, let index):
            "weight '\(name)' holds NaN or infinity at element \(index); the model cannot be converted faithfully"
        case .inputs(let detail): detail
        case .outputs(let detail): detail
        case .invalidGraph(let detail): "the graph is malformed: \(detail)"
        }
    }
}
