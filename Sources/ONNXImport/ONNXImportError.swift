import ProtobufFormats

/// Why an ONNX file cannot be imported faithfully.
///
/// Each case carries what a user needs to act: the node, the op type, the tensor, the opset. The CLI
/// prints `description` on one line after the file name and exits with status 2.
public enum ONNXImportError: Error, Equatable, Sendable {
    /// The bytes are not a protobuf ModelProto (empty, truncated, or another format).
    case notAModel(detail: String)
    /// The model has no graph.
    case missingGraph
    /// The default-domain opset is outside the range mnconvert implements.
    case unsupportedOpset(Int)
    /// An op mnconvert does not implement (or not with this domain).
    case unsupportedOp(node: String, opType: String, opset: Int)
    /// An op whose attributes ask for behaviour mnconvert does not implement faithfully.
    case unsupportedAttribute(node: String, opType: String, detail: String)
    /// A required input is missing, or an input mnconvert needs constant is computed.
    case invalidNode(node: String, opType: String, detail: String)
    /// An initializer or tensor attribute that cannot be decoded: dimensions that do not match its
    /// data or are absurd, an element type mnconvert cannot use, data stored outside the file.
    case tensor(TensorProtoError)
    /// A weight holding NaN or infinity.
    case nonFiniteWeight(name: String, index: Int)
    /// A graph input whose shape mnconvert cannot use.
    case invalidInput(name: String, detail: String)
    /// The graph is not well formed (a value read before it is defined, a cycle, a duplicate).
    case invalidGraph(detail: String)
}

extension ONNXImportError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notAModel(let detail):
            "not an ONNX model (\(detail)); check that the file is complete and really .onnx"
        case .missingGraph:
            "the ONNX model has no graph; re-export it"
        case .unsupportedOpset(let opset):
            "ONNX opset \(opset) is not supported (mnconvert reads opsets \(ONNXImporter.supportedOpsets.lowerBound) to \(ONNXImporter.supportedOpsets.upperBound)); re-export with an opset in that range"
        case .unsupportedOp(let node, let opType, let opset):
            "node '\(node)': op \(opType) (opset \(opset)) is not supported; see Docs/IR.md for the ops mnconvert converts"
        case .unsupportedAttribute(let node, let opType, let detail):
            "node '\(node)' (\(opType)): \(detail)"
        case .invalidNode(let node, let opType, let detail):
            "node '\(node)' (\(opType)): \(detail)"
        case .tensor(let error):
            error.description
        case .nonFiniteWeight(let name, let index):
            "weight '\(name)' holds NaN or infinity at element \(index); the model cannot be converted faithfully"
        case .invalidInput(let name, let detail):
            "graph input '\(name)': \(detail)"
        case .invalidGraph(let detail):
            "the graph is malformed: \(detail)"
        }
    }
}
