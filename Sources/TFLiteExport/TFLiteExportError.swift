/// Why a graph cannot be written as TFLite faithfully. The CLI prints `description` after the
/// input's path and exits with status 2; nothing is written.
public enum TFLiteExportError: Error, Equatable, Sendable {
    /// An op (or an op with these attributes) that TFLite's float builtins cannot express.
    case unsupported(node: String, detail: String)
    /// The input's size is open, so shapes (and SAME padding) cannot be written.
    case openInputSize(String)
}

extension TFLiteExportError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unsupported(let node, let detail): "node '\(node)': \(detail)"
        case .openInputSize(let detail): detail
        }
    }
}
