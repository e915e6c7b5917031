import FlatBuffers

/// A TFLite model's first subgraph, decoded from its flatbuffer into plain values
/// (`Formats/tflite/schema.fbs` has the field ids read here). Nothing is converted yet: shapes are
/// TFLite's (NHWC activations, OHWI filters), data is still bytes.
struct TFLiteModel {
    /// `TensorType` values mnconvert reads.
    enum ElementType: Int8 {
        case float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, int16 = 7, int8 = 9

        var name: String { "\(self)".uppercased() }
        var width: Int {
            switch self {
            case .float32, .int32: 4
            case .float16, .int16: 2
            case .uint8, .int8: 1
            case .int64: 8
            }
        }
    }

    struct TensorInfo {
        var name: String
        var shape: [Int]
        /// `shape_signature`, where -1 marks a dimension fixed only at run time (a dynamic batch).
        var signature: [Int]?
        /// Nil for a `TensorType` mnconvert does not read (`rawType` says which).
        var type: ElementType?
        var rawType: Int8
        /// The bytes of its buffer in the file; nil for a tensor computed by the graph.
        var data: Range<Int>?
        var scales: [Float]
        var zeroPoints: [Int64]
        var quantizedDimension: Int
    }

    struct Operator {
        /// `BuiltinOperator` (the larger of `deprecated_builtin_code` and `builtin_code`).
        var code: Int32
        var customCode: String?
        /// Tensor indices; -1 is an absent optional input.
        var inputs: [Int]
        var outputs: [Int]
        var optionsType: UInt8
        var options: Table?
    }

    let buffer: FlatBuffer
    var version: UInt32
    var description: String
    var subgraphCount: Int
    var tensors: [TensorInfo] = []
    var operators: [Operator] = []
    var inputs: [Int] = []
    var outputs: [Int] = []
    /// `Model.metadata` entries whose buffers are text: name -> value.
    var metadata: [String: String] = [:]

    /// Decodes `bytes` (the whole file: buffers may lie after the flatbuffer).
    init(_ bytes: [UInt8]) throws(FlatBufferError) {
        buffer = try FlatBuffer(bytes)
        let model = try buffer.root()
        version = try model.scalar(0, default: UInt32(0))
        description = try model.string(3) ?? ""
        let codes = try model.vector(1, elementSize: 4)
        var opcodes: [(code: Int32, custom: String?)] = []
        for i in 0..<(codes?.count ?? 0) {
            let code = try codes!.table(i)
            let deprecated = Int32(try code.scalar(0, default: Int8(0)))
            let builtin = try code.scalar(3, default: Int32(0))
            opcodes.append((max(deprecated, builtin), try code.string(1)))
        }
        let bufferTables = try model.vector(4, elementSize: 4)
        var buffers: [Range<Int>?] = []
        for i in 0..<(bufferTables?.count ?? 0) {
            let table = try bufferTables!.table(i)
            let offset = try table.scalar(1, default: UInt64(0)), size = try table.scalar(2, default: UInt64(0))
            if offset > 1 {
                // Data stored after the flatbuffer, at `offset` from the file's start.
                guard size <= UInt64(bytes.count), offset <= UInt64(bytes.count) - size else {
                    throw .outOfBounds("buffer \(i) claims \(size) bytes at \(offset), past the end of the \(bytes.count)-byte file")
                }
                buffers.append(Int(offset)..<Int(offset + size))
            } else if let data = try table.vector(0, elementSize: 1), data.count > 0 {
                buffers.append(data.start..<(data.start + data.count))
            } else {
                buffers.append(nil)
            }
        }
        if let entries = try model.vector(6, elementSize: 4) {
            for i in 0..<entries.count {
                let entry = try entries.table(i)
                let index = Int(try entry.scalar(1, default: UInt32(0)))
                guard let name = try entry.string(0), index < buffers.count, let range = buffers[index],
                      let text = String(validating: bytes[range], as: UTF8.self) else { continue }
                metadata[name] = text
            }
        }

        let subgraphs = try model.vector(2, elementSize: 4)
        subgraphCount = subgraphs?.count ?? 0
        guard let subgraphs, subgraphs.count > 0 else { return }
        let graph = try subgraphs.table(0)
        inputs = try graph.vector(1, elementSize: 4)?.scalars(Int32.self).map(Int.init) ?? []
        outputs = try graph.vector(2, elementSize: 4)?.scalars(Int32.self).map(Int.init) ?? []
        if let list = try graph.vector(0, elementSize: 4) {
            for i in 0..<list.count {
                tensors.append(try Self.tensor(try list.table(i), index: i, buffers: buffers))
            }
        }
        if let list = try graph.vector(3, elementSize: 4) {
            for i in 0..<list.count {
                let op = try list.table(i)
                let index = Int(try op.scalar(0, default: UInt32(0)))
                guard index < opcodes.count else { throw .outOfBounds("operator \(i) names operator code \(index) of \(opcodes.count)") }
                let (type, options) = try op.union(3)
                operators.append(Operator(code: opcodes[index].code, customCode: opcodes[index].custom,
                                          inputs: try op.vector(1, elementSize: 4)?.scalars(Int32.self).map(Int.init) ?? [],
                                          outputs: try op.vector(2, elementSize: 4)?.scalars(Int32.self).map(Int.init) ?? [],
                                          optionsType: type, options: options))
            }
        }
    }

    private static func tensor(_ table: Table, index: Int, buffers: [Range<Int>?]) throws(FlatBufferError) -> TensorInfo {
        let name = try table.string(3) ?? "tensor_\(index)"
        let rawType = try table.scalar(1, default: Int8(0))
        let bufferIndex = Int(try table.scalar(2, default: UInt32(0)))
        guard bufferIndex < max(buffers.count, 1) else { throw .outOfBounds("tensor '\(name)' names buffer \(bufferIndex) of \(buffers.count)") }
        var scales: [Float] = [], zeroPoints: [Int64] = [], dimension = 0
        if let quantization = try table.table(4) {
            if let s = try quantization.vector(2, elementSize: 4) { scales = try s.scalars(UInt32.self).map(Float.init(bitPattern:)) }
            zeroPoints = try quantization.vector(3, elementSize: 8)?.scalars(Int64.self) ?? []
            dimension = Int(try quantization.scalar(6, default: Int32(0)))
        }
        return TensorInfo(
            name: name,
            shape: try table.vector(0, elementSize: 4)?.scalars(Int32.self).map(Int.init) ?? [],
            signature: try table.vector(7, elementSize: 4)?.scalars(Int32.self).map(Int.init),
            type: ElementType(rawValue: rawType), rawType: rawType,
            data: bufferIndex < buffers.count ? buffers[bufferIndex] : nil,
            scales: scales, zeroPoints: zeroPoints, quantizedDimension: dimension)
    }
}
