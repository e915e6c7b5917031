import CProtobufFormats
import MobileNetIR
import ProtobufFormats

/// The parts of a TensorFlow GraphDef that the importer reads, as Swift values. `parse` unpacks
/// with libprotobuf-c, copies, and frees the C message before it returns.
struct TFNode {
    struct Input: Equatable {
        var node: String
        var output: Int
    }

    var name: String
    var op: String
    /// Data inputs in order (`name`, `name:k`); control inputs (`^name`) are dropped.
    var inputs: [Input]
    var attributes: [String: TFAttribute]
}

enum TFAttribute {
    case string(String)
    case int(Int64)
    case float(Float)
    case bool(Bool)
    case type(Int32)
    case shape([Int?]?)
    case tensor(ProtoTensor)
    case list(ints: [Int64], floats: [Float], strings: [String])
    case other
}

enum TFGraphDef {
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(TensorFlowImportError) -> [TFNode] {
        guard !bytes.isEmpty else { throw .notAGraph(detail: "the file is empty") }
        guard let message = tensorflow__graph_def__unpack(nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) else {
            throw .notAGraph(detail: "protobuf parsing failed: truncated or not protobuf")
        }
        defer { tensorflow__graph_def__free_unpacked(message, nil) }
        var nodes: [TFNode] = []
        for pointer in cArray(message.pointee.node, message.pointee.n_node) {
            guard let node = pointer?.pointee else { continue }
            var attributes: [String: TFAttribute] = [:]
            for entry in cArray(node.attr, node.n_attr) {
                guard let entry = entry?.pointee, let value = entry.value?.pointee else { continue }
                attributes[cString(entry.key)] = try TFAttribute(value, node: cString(node.name))
            }
            let inputs = cArray(node.input, node.n_input).map(cString).filter { !$0.hasPrefix("^") }.map { reference -> TFNode.Input in
                if let colon = reference.lastIndex(of: ":"), let index = Int(reference[reference.index(after: colon)...]) {
                    return TFNode.Input(node: String(reference[..<colon]), output: index)
                }
                return TFNode.Input(node: reference, output: 0)
            }
            nodes.append(TFNode(name: cString(node.name), op: cString(node.op), inputs: inputs, attributes: attributes))
        }
        guard !nodes.isEmpty else { throw .notAGraph(detail: "no nodes") }
        guard nodes.allSatisfy({ !$0.name.isEmpty && !$0.op.isEmpty }) else {
            throw .notAGraph(detail: "nodes without a name or an op")
        }
        return nodes
    }
}

extension TFAttribute {
    init(_ a: Tensorflow__AttrValue, node: String) throws(TensorFlowImportError) {
        switch a.value_case {
        case TENSORFLOW__ATTR_VALUE__VALUE_S: self = .string(a.s.text)
        case TENSORFLOW__ATTR_VALUE__VALUE_I: self = .int(a.i)
        case TENSORFLOW__ATTR_VALUE__VALUE_F: self = .float(a.f)
        case TENSORFLOW__ATTR_VALUE__VALUE_B: self = .bool(a.b != 0)
        case TENSORFLOW__ATTR_VALUE__VALUE_TYPE: self = .type(Int32(a.type.rawValue))
        case TENSORFLOW__ATTR_VALUE__VALUE_SHAPE: self = .shape(a.shape.flatMap { shapeDims($0.pointee) })
        case TENSORFLOW__ATTR_VALUE__VALUE_TENSOR:
            guard let t = a.tensor else { self = .other; return }
            self = .tensor(try ProtoTensor(tensorflow: t.pointee, name: node))
        case TENSORFLOW__ATTR_VALUE__VALUE_LIST:
            guard let list = a.list?.pointee else { self = .list(ints: [], floats: [], strings: []); return }
            self = .list(ints: Array(cArray(list.i, list.n_i)), floats: Array(cArray(list.f, list.n_f)),
                         strings: cArray(list.s, list.n_s).map(\.text))
        default: self = .other
        }
    }
}

/// Dimensions of a shape proto, `nil` for unknown (-1) ones; nil for an unknown rank.
func shapeDims(_ shape: Tensorflow__TensorShapeProto) -> [Int?]? {
    guard shape.unknown_rank == 0 else { return nil }
    return cArray(shape.dim, shape.n_dim).map { dim in
        guard let size = dim?.pointee.size, size >= 0, size <= Int64(Int32.max) else { return nil }
        return Int(size)
    }
}

extension ProtoTensor {
    /// Decodes a TensorFlow TensorProto, checking its shape against the data present before allocating. A
    /// typed value list shorter than the shape repeats its last element, and an empty one means
    /// zeros, as TensorFlow reads them.
    init(tensorflow t: Tensorflow__TensorProto, name: String) throws(TensorFlowImportError) {
        guard let dims = t.tensor_shape.flatMap({ shapeDims($0.pointee) }), dims.allSatisfy({ $0 != nil }) else {
            throw .invalidTensor(name: name, detail: "the constant has no complete shape")
        }
        let shape = dims.map { $0! }
        guard let count = checkedElementCount(shape) else {
            throw .invalidTensor(name: name, detail: "shape \(shape) holds more elements than any model can")
        }
        let content = t.tensor_content.buffer
        func fromContent<T>(_ width: Int, _ load: (Int) -> T) throws(TensorFlowImportError) -> [T] {
            guard content.count == count * width else {
                throw .invalidTensor(name: name, detail: "shape \(shape) needs \(count * width) bytes, tensor_content holds \(content.count)")
            }
            return (0..<count).map(load)
        }
        func expand<T: Numeric>(_ values: UnsafeBufferPointer<T>) throws(TensorFlowImportError) -> [T] {
            if values.count == count { return Array(values) }
            guard values.count < count else {
                throw .invalidTensor(name: name, detail: "shape \(shape) needs \(count) values, the constant holds \(values.count)")
            }
            return Array(values) + Array(repeating: values.last ?? 0, count: count - values.count)
        }
        let values: Values
        switch t.dtype {
        case TENSORFLOW__DATA_TYPE__DT_FLOAT:
            values = .float(content.count > 0
                ? try fromContent(4) { Float(bitPattern: UInt32(littleEndian: content.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                : try expand(cArray(t.float_val, t.n_float_val)))
        case TENSORFLOW__DATA_TYPE__DT_HALF:
            values = .float(content.count > 0
                ? try fromContent(2) { Float(Float16(bitPattern: UInt16(littleEndian: content.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))) }
                : try expand(cArray(t.half_val, t.n_half_val)).map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) })
        case TENSORFLOW__DATA_TYPE__DT_DOUBLE:
            values = .float(content.count > 0
                ? try fromContent(8) { Float(Double(bitPattern: UInt64(littleEndian: content.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
                : try expand(cArray(t.double_val, t.n_double_val)).map { Float($0) })
        case TENSORFLOW__DATA_TYPE__DT_INT32:
            values = .int64(content.count > 0
                ? try fromContent(4) { Int64(Int32(littleEndian: content.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
                : try expand(cArray(t.int_val, t.n_int_val)).map { Int64($0) })
        case TENSORFLOW__DATA_TYPE__DT_INT64:
            values = .int64(content.count > 0
                ? try fromContent(8) { Int64(littleEndian: content.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
                : try expand(cArray(t.int64_val, t.n_int64_val)))
        default:
            throw .unsupportedDataType(name: name, dataType: Int32(t.dtype.rawValue))
        }
        self.init(name: name, shape: shape, values: values)
    }
}
