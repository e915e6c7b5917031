import ProtobufFormats

/// Why a file cannot be read or written, or a tensor file cannot be decoded.
///
/// `reason` says what is wrong and what to do, without the path: the caller puts the path in
/// front (`mnconvert: error: x.npy: .npy data holds 12 bytes, ...`).
public enum TensorIOError: Error, Equatable, Sendable {
    /// A file that cannot be opened or mapped: missing, a directory, no permission.
    case cannotRead(path: String, reason: String)
    /// A file that cannot be written (`reason`: the system's word); nothing was left at `path`.
    case cannotWrite(path: String, reason: String)
    /// A `.npy` file whose array mnconvert cannot read.
    case unsupportedNumpy(String)
    /// A `.npy` file shorter than its header says.
    case truncatedNumpy(expected: Int, actual: Int)
    /// Neither `.npy` nor a TensorProto mnconvert can read.
    case notATensor(TensorProtoError)
    /// Not a JPEG or PNG that can be decoded.
    case notAnImage(String)
}

extension TensorIOError: CustomStringConvertible {
    public var reason: String {
        switch self {
        case .cannotRead(_, let reason): reason
        case .cannotWrite(_, let reason): "cannot write: \(reason)"
        case .unsupportedNumpy(let detail): "unsupported .npy array: \(detail); save it as float32 in C order"
        case .truncatedNumpy(let expected, let actual): ".npy data holds \(actual) bytes, its header needs \(expected): the file is truncated"
        case .notATensor(let error): "neither .npy nor an ONNX TensorProto (.pb): \(error.description)"
        case .notAnImage(let detail): "\(detail); give a JPEG or PNG image"
        }
    }

    public var description: String {
        switch self {
        case .cannotRead(let path, _), .cannotWrite(let path, _): "\(path): \(reason)"
        default: reason
        }
    }
}
