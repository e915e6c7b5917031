import CProtobufFormats
import ProtobufFormats

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
    var initializers: [ProtoTensor]
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
    case tensor(ProtoTensor)
    case floats([Float])
    case ints([Int64])
    case unsupported
}

struct ONNXValueInfo {
    var name: String
    /// `nil` when the file gives no shape; a `nil` dimension is symbolic (`dim_param`) or unknown.
    var shape: [Int?]?
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
        for entry in cArray(model.opset_import, model.n_opset_import) {
            let domain = cString(entry?.pointee.domain)
            if domain.isEmpty || domain == "ai.onnx", let version = entry?.pointee.version {
                opset = Int(clamping: version)
            }
        }
        var producer = cString(model.producer_name)
        let version = cString(model.producer_version)
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
        for node in cArray(graph.node, graph.n_node) {
            guard let node = node?.pointee else { continue }
            var attributes: [String: ONNXAttribute] = [:]
            for attribute in cArray(node.attribute, node.n_attribute) {
                guard let attribute = attribute?.pointee else { continue }
                attributes[cString(attribute.name)] = try ONNXAttribute(attribute)
            }
            nodes.append(ONNXNode(
                name: cString(node.name), opType: cString(node.op_type), domain: cString(node.domain),
                inputs: cArray(node.input, node.n_input).map(cString), outputs: cArray(node.output, node.n_output).map(cString),
                attributes: attributes))
        }
        var initializers: [ProtoTensor] = []
        for tensor in cArray(graph.initializer, graph.n_initializer) {
            guard let tensor = tensor?.pointee else { continue }
            initializers.append(try ProtoTensor.decode(tensor))
        }
        self.init(nodes: nodes, initializers: initializers,
                  inputs: cArray(graph.input, graph.n_input).compactMap { $0.map { ONNXValueInfo($0.pointee) } },
                  outputs: cArray(graph.output, graph.n_output).compactMap { $0.map { ONNXValueInfo($0.pointee) } })
    }
}

extension ONNXAttribute {
    init(_ a: Onnx__AttributeProto) throws(ONNXImportError) {
        let type = a.has_type != 0 ? a.type : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED
        switch type {
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: self = .float(a.f)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: self = .int(a.i)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
            self = .string(a.s.text)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
            guard let t = a.t else { self = .unsupported; return }
            self = .tensor(try ProtoTensor.decode(t.pointee))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: self = .floats(Array(cArray(a.floats, a.n_floats)))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: self = .ints(Array(cArray(a.ints, a.n_ints)))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED:
            // Writers before IR version 2 left `type` out: infer it from the field that is set.
            if a.n_ints > 0 { self = .ints(Array(cArray(a.ints, a.n_ints))) }
            else if a.n_floats > 0 { self = .floats(Array(cArray(a.floats, a.n_floats))) }
            else if a.has_i != 0 { self = .int(a.i) }
            else if a.has_f != 0 { self = .float(a.f) }
            else if a.has_s != 0 { self = .string(a.s.text) }
            else if let t = a.t { self = .tensor(try ProtoTensor.decode(t.pointee)) }
            else { self = .unsupported }
        default: self = .unsupported
        }
    }
}

extension ONNXValueInfo {
    init(_ info: Onnx__ValueInfoProto) {
        name = cString(info.name)
        shape = nil
        guard let type = info.type?.pointee, type.value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE,
              let tensorType = type.tensor_type?.pointee, let shapeProto = tensorType.shape?.pointee else { return }
        shape = cArray(shapeProto.dim, shapeProto.n_dim).map { dim -> Int? in
            guard let dim = dim?.pointee, dim.value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE,
                  dim.dim_value > 0, dim.dim_value <= Int64(Int32.max) else { return nil }
            return Int(dim.dim_value)
        }
    }
}

extension ProtoTensor {
    /// An initializer or a tensor attribute, its decoding failures as the importer's errors.
    static func decode(_ t: Onnx__TensorProto) throws(ONNXImportError) -> ProtoTensor {
        do { return try ProtoTensor(onnx: t) } catch { throw .tensor(error) }
    }
}
