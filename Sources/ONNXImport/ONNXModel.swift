import CProtobufFormats

/// The parts of an ONNX ModelProto that the importer reads, as Swift values.
///
/// `ONNXModel.parse` unpacks the protobuf with libprotobuf-c, copies what it needs, and frees the
/// C message before it returns: no C pointer leaves this file.
struct ONNXModel {
    var irVersion: Int64
    /// The version of the default ("" or "ai.onnx") operator set.
    var opset: Int
    var producer: String
    var graph: ONNXGraph
}

struct ONNXGraph {
    var nodes: [ONNXNode]
    var initializers: [ONNXTensor]
    var inputs: [ONNXValueInfo]
    var outputs: [ONNXValueInfo]
}

struct ONNXNode {
    var name: String
    var opType: String
    var domain: String
    var inputs: [String]
    var outputs: [String]
    var attributes: [String: ONNXAttribute]
}

enum ONNXAttribute {
    case float(Float)
    case int(Int64)
    case string(String)
    case tensor(ONNXTensor)
    case floats([Float])
    case ints([Int64])
    case unsupported
}

struct ONNXValueInfo {
    var name: String
    /// `nil` when the file gives no shape; a `nil` dimension is symbolic (`dim_param`) or unknown.
    var shape: [Int?]?
}

/// A decoded TensorProto: its dimensions and its elements converted to `Float` or `Int64`.
struct ONNXTensor {
    enum Values {
        case float([Float])
        case int64([Int64])
    }
    var name: String
    var dims: [Int]
    var values: Values
}

extension ONNXModel {
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ONNXImportError) -> ONNXModel {
        guard !bytes.isEmpty else { throw .notAModel(detail: "the file is empty") }
        guard let message = onnx__model_proto__unpack(nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) else {
            throw .notAModel(detail: "protobuf parsing failed: truncated or not protobuf")
        }
        defer { onnx__model_proto__free_unpacked(message, nil) }
        let model = message.pointee
        guard model.has_ir_version != 0 || model.graph != nil else {
            throw .notAModel(detail: "no ir_version and no graph")
        }
        guard let graph = model.graph else { throw .missingGraph }

        var opset: Int?
        for entry in buffer(model.opset_import, model.n_opset_import) {
            let domain = string(entry?.pointee.domain)
            if domain.isEmpty || domain == "ai.onnx", let version = entry?.pointee.version {
                opset = Int(clamping: version)
            }
        }
        var producer = string(model.producer_name)
        let version = string(model.producer_version)
        if !version.isEmpty { producer += " " + version }

        return ONNXModel(
            irVersion: model.ir_version,
            opset: opset ?? 1,
            producer: producer,
            graph: try ONNXGraph(graph.pointee))
    }
}

extension ONNXGraph {
    init(_ graph: Onnx__GraphProto) throws(ONNXImportError) {
        var nodes: [ONNXNode] = []
        for node in buffer(graph.node, graph.n_node) {
            guard let node = node?.pointee else { continue }
            var attributes: [String: ONNXAttribute] = [:]
            for attribute in buffer(node.attribute, node.n_attribute) {
                guard let attribute = attribute?.pointee else { continue }
                attributes[string(attribute.name)] = try ONNXAttribute(attribute)
            }
            nodes.append(ONNXNode(
                name: string(node.name), opType: string(node.op_type), domain: string(node.domain),
                inputs: buffer(node.input, node.n_input).map(string), outputs: buffer(node.output, node.n_output).map(string),
                attributes: attributes))
        }
        var initializers: [ONNXTensor] = []
        for tensor in buffer(graph.initializer, graph.n_initializer) {
            guard let tensor = tensor?.pointee else { continue }
            initializers.append(try ONNXTensor(tensor))
        }
        self.init(nodes: nodes, initializers: initializers,
                  inputs: buffer(graph.input, graph.n_input).compactMap { $0.map { ONNXValueInfo($0.pointee) } },
                  outputs: buffer(graph.output, graph.n_output).compactMap { $0.map { ONNXValueInfo($0.pointee) } })
    }
}

extension ONNXAttribute {
    init(_ a: Onnx__AttributeProto) throws(ONNXImportError) {
        let type = a.has_type != 0 ? a.type : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED
        switch type {
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: self = .float(a.f)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: self = .int(a.i)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
            self = .string(String(decoding: UnsafeRawBufferPointer(start: a.s.data, count: a.s.len), as: UTF8.self))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
            guard let t = a.t else { self = .unsupported; return }
            self = .tensor(try ONNXTensor(t.pointee))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: self = .floats(Array(buffer(a.floats, a.n_floats)))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: self = .ints(Array(buffer(a.ints, a.n_ints)))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED:
            // Writers before IR version 2 left `type` out: infer it from the field that is set.
            if a.n_ints > 0 { self = .ints(Array(buffer(a.ints, a.n_ints))) }
            else if a.n_floats > 0 { self = .floats(Array(buffer(a.floats, a.n_floats))) }
            else if a.has_i != 0 { self = .int(a.i) }
            else if a.has_f != 0 { self = .float(a.f) }
            else if a.has_s != 0 { self = .string(String(decoding: UnsafeRawBufferPointer(start: a.s.data, count: a.s.len), as: UTF8.self)) }
            else if let t = a.t { self = .tensor(try ONNXTensor(t.pointee)) }
            else { self = .unsupported }
        default: self = .unsupported
        }
    }
}

extension ONNXValueInfo {
    init(_ info: Onnx__ValueInfoProto) {
        name = string(info.name)
        shape = nil
        guard let type = info.type?.pointee, type.value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE,
              let tensorType = type.tensor_type?.pointee, let shapeProto = tensorType.shape?.pointee else { return }
        shape = buffer(shapeProto.dim, shapeProto.n_dim).map { dim -> Int? in
            guard let dim = dim?.pointee, dim.value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE,
                  dim.dim_value > 0, dim.dim_value <= Int64(Int32.max) else { return nil }
            return Int(dim.dim_value)
        }
    }
}

extension ONNXTensor {
    /// Decodes a TensorProto, checking the declared dimensions against the data present before
    /// allocating anything for them.
    init(_ t: Onnx__TensorProto) throws(ONNXImportError) {
        let name = string(t.name)
        if t.has_data_location != 0, t.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL {
            throw .externalData(name: name)
        }
        let rawDims = Array(buffer(t.dims, t.n_dims))
        guard rawDims.count <= 16, rawDims.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) }) else {
            throw .invalidTensor(name: name, detail: "dimensions \(rawDims) are out of range")
        }
        let dims = rawDims.map { Int($0) }
        var count = 1
        for d in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= Int(Int32.max) else {
                throw .invalidTensor(name: name, detail: "dimensions \(dims) hold more elements than any model can")
            }
            count = product
        }
        let raw = t.has_raw_data != 0 ? UnsafeRawBufferPointer(start: t.raw_data.data, count: t.raw_data.len) : nil
        func check(_ present: Int, _ what: String) throws(ONNXImportError) {
            guard present == count else {
                throw .invalidTensor(name: name, detail: "dimensions \(dims) need \(count) elements, \(what) holds \(present)")
            }
        }
        func checkRaw(_ raw: UnsafeRawBufferPointer, width: Int) throws(ONNXImportError) {
            guard raw.count == count * width else {
                throw .invalidTensor(name: name, detail: "dimensions \(dims) need \(count * width) bytes, raw_data holds \(raw.count)")
            }
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
                values = .float((0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) })
                #endif
            } else {
                try check(t.n_float_data, "float_data")
                values = .float(Array(buffer(t.float_data, t.n_float_data)))
            }
        case 10:  // FLOAT16: exact in fp32
            if let raw {
                try checkRaw(raw, width: 2)
                values = .float((0..<count).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))) })
            } else {
                try check(t.n_int32_data, "int32_data")
                values = .float(buffer(t.int32_data, t.n_int32_data).map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) })
            }
        case 11:  // DOUBLE
            if let raw {
                try checkRaw(raw, width: 8)
                values = .float((0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) })
            } else {
                try check(t.n_double_data, "double_data")
                values = .float(buffer(t.double_data, t.n_double_data).map { Float($0) })
            }
        case 7:  // INT64
            if let raw {
                try checkRaw(raw, width: 8)
                values = .int64((0..<count).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) })
            } else {
                try check(t.n_int64_data, "int64_data")
                values = .int64(Array(buffer(t.int64_data, t.n_int64_data)))
            }
        case 6:  // INT32
            if let raw {
                try checkRaw(raw, width: 4)
                values = .int64((0..<count).map { Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) })
            } else {
                try check(t.n_int32_data, "int32_data")
                values = .int64(buffer(t.int32_data, t.n_int32_data).map { Int64($0) })
            }
        default:
            throw .unsupportedDataType(name: name, dataType: dataType)
        }
        self.name = name
        self.dims = dims
    }

    /// The elements as `Float`, converting integers.
    var floats: [Float] {
        switch values {
        case .float(let v): v
        case .int64(let v): v.map { Float($0) }
        }
    }

    /// The elements as `Int64`, or nil for a float tensor.
    var int64s: [Int64]? {
        if case .int64(let v) = values { return v }
        return nil
    }
}

/// A C array of `count` elements as a Swift buffer (empty for a NULL pointer).
func buffer<T>(_ pointer: UnsafeMutablePointer<T>?, _ count: Int) -> UnsafeBufferPointer<T> {
    guard let pointer, count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
    return UnsafeBufferPointer(start: pointer, count: count)
}

/// A C string, `""` for NULL.
func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}
