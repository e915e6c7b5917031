import CProtobufFormats
import MobileNetIR

/// ONNX's TensorProto: decoding the C message protobuf-c unpacked, and whole serialized
/// messages (the `input_0.pb` / `output_0.pb` tensor files of ONNX's test data sets).
extension ProtoTensor {
    /// Decodes a TensorProto, checking the declared dimensions against the data present before
    /// allocating anything for them. float32, float16 and float64 become `Float`; int32 and int64
    /// become `Int64`.
    public init(onnx t: Onnx__TensorProto) throws(TensorProtoError) {
        let name = cString(t.name)
        if t.has_data_location != 0, t.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL {
            throw .externalData(name: name)
        }
        let rawDims = Array(cArray(t.dims, t.n_dims))
        guard rawDims.count <= 16, rawDims.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) }) else {
            throw .invalidTensor(name: name, detail: "dimensions \(rawDims) are out of range")
        }
        let dims = rawDims.map { Int($0) }
        guard let count = checkedElementCount(dims) else {
            throw .invalidTensor(name: name, detail: "dimensions \(dims) hold more elements than any model can")
        }
        let raw = t.has_raw_data != 0 ? t.raw_data.buffer : nil
        func typed<T>(_ values: UnsafeBufferPointer<T>, _ field: String) throws(TensorProtoError) -> UnsafeBufferPointer<T> {
            guard values.count == count else {
                throw .invalidTensor(name: name, detail: "dimensions \(dims) need \(count) elements, \(field) holds \(values.count)")
            }
            return values
        }
        func checkRaw(_ raw: UnsafeRawBufferPointer, width: Int) throws(TensorProtoError) {
            guard raw.count == count * width else {
                throw .invalidTensor(name: name, detail: "dimensions \(dims) need \(count * width) bytes, raw_data holds \(raw.count)")
            }
        }
        func fromRaw<T>(_ raw: UnsafeRawBufferPointer, width: Int, _ load: (Int) -> T) throws(TensorProtoError) -> [T] {
            try checkRaw(raw, width: width)
            return (0..<count).map(load)
        }
        let dataType = t.has_data_type != 0 ? t.data_type : 0
        switch dataType {
        case 1:  // FLOAT
            if let raw {
                try checkRaw(raw, width: 4)
                #if _endian(little)
                // The bytes already are the floats: one copy.
                values = .float([Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                    initialized = count
                })
                #else
                values = .float(try fromRaw(raw, width: 4) { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) })
                #endif
            } else {
                values = .float(Array(try typed(cArray(t.float_data, t.n_float_data), "float_data")))
            }
        case 10:  // FLOAT16: exact in fp32
            if let raw {
                values = .float(try fromRaw(raw, width: 2) { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))) })
            } else {
                values = .float(try typed(cArray(t.int32_data, t.n_int32_data), "int32_data").map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) })
            }
        case 11:  // DOUBLE
            if let raw {
                values = .float(try fromRaw(raw, width: 8) { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) })
            } else {
                values = .float(try typed(cArray(t.double_data, t.n_double_data), "double_data").map { Float($0) })
            }
        case 7:  // INT64
            if let raw {
                values = .int64(try fromRaw(raw, width: 8) { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) })
            } else {
                values = .int64(Array(try typed(cArray(t.int64_data, t.n_int64_data), "int64_data")))
            }
        case 6:  // INT32
            if let raw {
                values = .int64(try fromRaw(raw, width: 4) { Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) })
            } else {
                values = .int64(try typed(cArray(t.int32_data, t.n_int32_data), "int32_data").map { Int64($0) })
            }
        default:
            throw .unsupportedDataType(name: name, dataType: dataType)
        }
        self.name = name
        self.shape = dims
    }

    /// Decodes a whole serialized TensorProto.
    public init(onnxBytes bytes: UnsafeRawBufferPointer) throws(TensorProtoError) {
        guard !bytes.isEmpty else { throw .notATensor(detail: "the file is empty") }
        guard let message = onnx__tensor_proto__unpack(nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) else {
            throw .notATensor(detail: "truncated or another format")
        }
        defer { onnx__tensor_proto__free_unpacked(message, nil) }
        try self.init(onnx: message.pointee)
    }

    /// `tensor` as a serialized float TensorProto named `name`, with little-endian `raw_data`.
    public static func onnxBytes(_ tensor: Tensor, name: String) -> [UInt8] {
        var message = Onnx__TensorProto()
        onnx__tensor_proto__init(&message)
        var dims = tensor.shape.map { Int64($0) }
        var raw = [UInt8](repeating: 0, count: tensor.count * 4)
        raw.withUnsafeMutableBytes { out in
            for (i, value) in tensor.data.enumerated() { out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
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
