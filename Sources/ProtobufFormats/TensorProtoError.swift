/// Why an ONNX TensorProto (an initializer, an attribute, a `.pb` tensor file) cannot be decoded.
/// The ONNX importer reports these wrapped in its own error; tensor files report them after the path.
public enum TensorProtoError: Error, Equatable, Sendable {
    /// The bytes are not a serialized TensorProto (empty, truncated, or another format).
    case notATensor(detail: String)
    /// Declared dimensions that do not match the data present, or are absurd.
    case invalidTensor(name: String, detail: String)
    /// An element type mnconvert cannot use (the ONNX `DataType` number).
    case unsupportedDataType(name: String, dataType: Int32)
    /// Data stored in a file beside the model.
    case externalData(name: String)
}

extension TensorProtoError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notATensor(let detail): "not a serialized ONNX TensorProto: \(detail)"
        case .invalidTensor(let name, let detail): "tensor '\(name)': \(detail); the file is corrupt or was written incorrectly"
        case .unsupportedDataType(let name, let dataType):
            "tensor '\(name)' has ONNX data type \(dataType); mnconvert reads float32, float16, float64, int32 and int64"
        case .externalData(let name): "tensor '\(name)' is stored in an external data file; save the model with all tensors inside the file"
        }
    }
}
