/// Why a graph cannot be written as ONNX faithfully. The CLI prints `description` after the
/// output's path and exits with status 2; nothing is written.
public enum ONNXExportError: Error, Equatable, Sendable {
    /// An op (or an op with these attributes) that ONNX cannot express at the chosen opset.
    case unsupported(node: String, detail: String)
    /// The input's size is open, so SAME padding cannot be written as explicit pads.
    case openInputSize(String)
}

extension ONNXExportError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unsupported(let node, let detail): "node '\(node)': \(detail)"
        case .openInputSize(let detail): detail
        }
    }
}
