import CProtobufFormats
import MobileNetIR

/// Standalone ONNX `TensorProto` files (`input_0.pb`, `output_0.pb` in ONNX's test data sets), the
/// second tensor format `mnconvert run` and `verify` read and write beside `.npy`.
public enum ONNXTensorFile {
    /// Decodes a serialized TensorProto holding float, double, float16, int32 or int64 values.
    public static func read(_ bytes: [UInt8]) throws(ONNXImportError) -> Tensor {
        guard !bytes.isEmpty else { throw .invalidTensor(name: "(file)", detail: "the file is empty") }
        guard let message = bytes.withUnsafeBufferPointer({ onnx__tensor_proto__unpack(nil, $0.count, $0.baseAddress) }) else {
            throw .invalidTensor(name: "(file)", detail: "not a serialized TensorProto (truncated or another format)")
        }
        defer { onnx__tensor_proto__free_unpacked(message, nil) }
        let tensor = try ONNXTensor(message.pointee)
        return Tensor(shape: tensor.dims, data: tensor.floats)
    }

    /// Serializes `tensor` as a float TensorProto with little-endian `raw_data`.
    public static func serialize(_ tensor: Tensor, name: String) -> [UInt8] {
        var message = Onnx__TensorProto()
        onnx__tensor_proto__init(&message)
        var dims = tensor.shape.map { Int64($0) }
        var raw = tensor.data.flatMap { value -> [UInt8] in
            withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        }
        return name.withCString { cName in
            dims.withUnsafeMutableBufferPointer { dimsBuffer in
                raw.withUnsafeMutableBufferPointer { rawBuffer in
                    message.n_dims = dimsBuffer.count
                    message.dims = dimsBuffer.baseAddress
                    message.has_data_type = 1
                    message.data_type = 1
                    message.name = UnsafeMutablePointer(mutating: cName)
                    message.has_raw_data = 1
                    message.raw_data = ProtobufCBinaryData(len: rawBuffer.count, data: rawBuffer.baseAddress)
                    var out = [UInt8](repeating: 0, count: onnx__tensor_proto__get_packed_size(&message))
                    _ = out.withUnsafeMutableBufferPointer { onnx__tensor_proto__pack(&message, $0.baseAddress) }
                    return out
                }
            }
        }
    }
}
