import CProtobufFormats
import Foundation

/// An ONNX model as the exporter builds it, in Swift values, and its serialisation through
/// protobuf-c: every C string, array and message is allocated for the one `pack` call and freed
/// before it returns, so no C pointer leaves this file.
struct ONNXModelMessage {
    enum Dimension: Equatable {
        case value(Int)
        case param(String)
    }

    enum AttributeValue {
        case int(Int64)
        case float(Float)
        case ints([Int64])
        case string(String)
    }

    struct Node {
        var name: String
        var opType: String
        var inputs: [String]
        var outputs: [String]
        var attributes: [(name: String, value: AttributeValue)] = []
    }

    /// A float32 (`floats`) or int64 (`ints`) initializer.
    struct Initializer {
        var name: String
        var dims: [Int]
        var floats: [Float]?
        var ints: [Int64]?
    }

    /// A float32 tensor value with its shape.
    struct Value {
        var name: String
        var dims: [Dimension]
    }

    var irVersion: Int
    var opset: Int
    var producerName: String
    var producerVersion: String
    var docString: String
    var graphName: String
    var nodes: [Node] = []
    var initializers: [Initializer] = []
    var inputs: [Value] = []
    var outputs: [Value] = []
    var metadata: [(key: String, value: String)] = []

    /// The serialized ModelProto. The initializers' raw data is read where their arrays hold it,
    /// not copied (a 1.0-224 model's 17 MB).
    func pack() -> [UInt8] {
        withRawData(initializers[...], []) { raw in pack(rawData: raw) }
    }

    /// Calls `body` with the bytes of every initializer, each valid for the whole call.
    private func withRawData<R>(_ rest: ArraySlice<Initializer>, _ pinned: [UnsafeRawBufferPointer],
                                _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
        guard let first = rest.first else { return body(pinned) }
        if let floats = first.floats { return floats.withUnsafeBytes { withRawData(rest.dropFirst(), pinned + [$0], body) } }
        return (first.ints ?? []).withUnsafeBytes { withRawData(rest.dropFirst(), pinned + [$0], body) }
    }

    private func pack(rawData: [UnsafeRawBufferPointer]) -> [UInt8] {
        let arena = CArena()
        defer { arena.freeAll() }
        var model = Onnx__ModelProto()
        onnx__model_proto__init(&model)
        model.has_ir_version = 1
        model.ir_version = Int64(irVersion)
        var opsetID = Onnx__OperatorSetIdProto()
        onnx__operator_set_id_proto__init(&opsetID)
        opsetID.domain = arena.string("")
        opsetID.has_version = 1
        opsetID.version = Int64(opset)
        (model.n_opset_import, model.opset_import) = arena.pointers([opsetID])
        model.producer_name = arena.string(producerName)
        model.producer_version = arena.string(producerVersion)
        model.doc_string = arena.string(docString)
        (model.n_metadata_props, model.metadata_props) = arena.pointers(metadata.map { entry in
            var e = Onnx__StringStringEntryProto()
            onnx__string_string_entry_proto__init(&e)
            e.key = arena.string(entry.key)
            e.value = arena.string(entry.value)
            return e
        })

        var graph = Onnx__GraphProto()
        onnx__graph_proto__init(&graph)
        graph.name = arena.string(graphName)
        (graph.n_node, graph.node) = arena.pointers(nodes.map { node(arena, $0) })
        (graph.n_initializer, graph.initializer) = arena.pointers(zip(initializers, rawData).map { tensor(arena, $0, raw: $1) })
        (graph.n_input, graph.input) = arena.pointers(inputs.map { valueInfo(arena, $0) })
        (graph.n_output, graph.output) = arena.pointers(outputs.map { valueInfo(arena, $0) })
        model.graph = arena.object(graph)

        let size = onnx__model_proto__get_packed_size(&model)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = onnx__model_proto__pack(&model, buffer.baseAddress)
        }
    }

    private func node(_ arena: CArena, _ n: Node) -> Onnx__NodeProto {
        var message = Onnx__NodeProto()
        onnx__node_proto__init(&message)
        message.name = arena.string(n.name)
        message.op_type = arena.string(n.opType)
        (message.n_input, message.input) = arena.strings(n.inputs)
        (message.n_output, message.output) = arena.strings(n.outputs)
        (message.n_attribute, message.attribute) = arena.pointers(n.attributes.map { attribute in
            var a = Onnx__AttributeProto()
            onnx__attribute_proto__init(&a)
            a.name = arena.string(attribute.name)
            a.has_type = 1
            switch attribute.value {
            case .int(let v):
                a.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT
                (a.has_i, a.i) = (1, v)
            case .float(let v):
                a.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
                (a.has_f, a.f) = (1, v)
            case .ints(let v):
                a.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
                (a.n_ints, a.ints) = (v.count, arena.array(v))
            case .string(let v):
                a.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING
                let bytes = Array(v.utf8)
                (a.has_s, a.s) = (1, ProtobufCBinaryData(len: bytes.count, data: arena.array(bytes)))
            }
            return a
        })
        return message
    }

    /// `raw`: the initializer's elements, little-endian on the machines mnconvert runs on; protobuf-c
    /// only reads them.
    private func tensor(_ arena: CArena, _ t: Initializer, raw: UnsafeRawBufferPointer) -> Onnx__TensorProto {
        var message = Onnx__TensorProto()
        onnx__tensor_proto__init(&message)
        message.name = arena.string(t.name)
        (message.n_dims, message.dims) = (t.dims.count, arena.array(t.dims.map { Int64($0) }))
        message.has_data_type = 1
        // Raw data, the form every runtime reads fastest.
        message.data_type = t.floats != nil ? 1 : 7
        message.has_raw_data = 1
        message.raw_data = ProtobufCBinaryData(len: raw.count, data: UnsafeMutablePointer(mutating: raw.baseAddress?.assumingMemoryBound(to: UInt8.self)))
        return message
    }

    private func valueInfo(_ arena: CArena, _ v: Value) -> Onnx__ValueInfoProto {
        var message = Onnx__ValueInfoProto()
        onnx__value_info_proto__init(&message)
        message.name = arena.string(v.name)
        var shape = Onnx__TensorShapeProto()
        onnx__tensor_shape_proto__init(&shape)
        (shape.n_dim, shape.dim) = arena.pointers(v.dims.map { d in
            var dim = Onnx__TensorShapeProto__Dimension()
            onnx__tensor_shape_proto__dimension__init(&dim)
            switch d {
            case .value(let n):
                dim.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                dim.dim_value = Int64(n)
            case .param(let name):
                dim.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                dim.dim_param = arena.string(name)
            }
            return dim
        })
        var tensorType = Onnx__TypeProto__Tensor()
        onnx__type_proto__tensor__init(&tensorType)
        (tensorType.has_elem_type, tensorType.elem_type) = (1, 1)
        tensorType.shape = arena.object(shape)
        var type = Onnx__TypeProto()
        onnx__type_proto__init(&type)
        type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
        type.tensor_type = arena.object(tensorType)
        message.type = arena.object(type)
        return message
    }
}

/// Memory for the C side of one `pack` call.
final class CArena {
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private var blocks: [UnsafeMutableRawPointer] = []

    func freeAll() {
        strings.forEach { free($0) }
        blocks.forEach { $0.deallocate() }
        strings.removeAll()
        blocks.removeAll()
    }

    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(s)!
        strings.append(copy)
        return copy
    }

    /// A C copy of `values`; NULL when empty (protobuf-c reads no element then).
    func array<T>(_ values: [T]) -> UnsafeMutablePointer<T>? {
        guard !values.isEmpty else { return nil }
        let memory = UnsafeMutablePointer<T>.allocate(capacity: values.count)
        memory.initialize(from: values, count: values.count)
        blocks.append(UnsafeMutableRawPointer(memory))
        return memory
    }

    func object<T>(_ value: T) -> UnsafeMutablePointer<T> { array([value])! }


    func strings(_ values: [String]) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        (values.count, array(values.map { Optional(string($0)) }))
    }

    /// A C array of pointers to copies of `messages`, as protobuf-c's repeated message fields are.
    func pointers<T>(_ messages: [T]) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<T>?>?) {
        (messages.count, array(messages.map { Optional(object($0)) }))
    }
}
