/// Writes a flatbuffer from a tree of tables, front to back.
///
/// The layout is the one `FlatBuffer` reads: the root `uoffset` and the file identifier, then
/// each table as its vtable followed by the table itself (a signed offset back to the vtable, then
/// its inline fields, each aligned to its size), then the objects its reference fields point to,
/// depth first. A reference field is written as a placeholder and patched once its object's
/// position is known; objects always come after the field that points to them, so every
/// `uoffset` is positive, as the format requires. Vectors are aligned to their element size
/// (or more: TFLite's buffer data asks for 16), strings end in a NUL. The same tree gives the
/// same bytes.
///
/// ```swift
/// var model = FlatTable()
/// model[0] = .uint32(3)
/// model[3] = .string("converted by mnconvert")
/// let bytes = FlatBufferBuilder.serialize(root: model, identifier: "TFL3")
/// ```
public struct FlatTable: Sendable {
    /// Fields by id (a union takes two: its type at `id`, its table at `id + 1`).
    public var fields: [Int: FlatField] = [:]

    public init() {}

    public subscript(id: Int) -> FlatField? {
        get { fields[id] }
        set { fields[id] = newValue }
    }
}

public enum FlatField: Sendable {
    case int8(Int8)
    case uint8(UInt8)
    case bool(Bool)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case float(Float)
    case table(FlatTable)
    case string(String)
    /// A vector of scalars as little-endian bytes, `elementSize` bytes each, aligned to `alignment`.
    case scalars(bytes: [UInt8], elementSize: Int, alignment: Int)
    /// A `[ubyte]` vector holding these floats' little-endian bytes (TFLite's weight buffers),
    /// written without a copy into bytes first.
    case floatBytes([Float], alignment: Int)
    case tables([FlatTable])

    public static func int32s(_ values: [Int32]) -> FlatField {
        .scalars(bytes: values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }, elementSize: 4, alignment: 4)
    }

    public static func floats(_ values: [Float]) -> FlatField {
        .scalars(bytes: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }, elementSize: 4, alignment: 4)
    }

    /// The inline size of the field in its table (references are a 4-byte `uoffset`).
    var inlineSize: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .int32, .uint32, .float: 4
        case .int64, .uint64: 8
        case .table, .string, .scalars, .floatBytes, .tables: 4
        }
    }
}

public enum FlatBufferBuilder {
    /// The bytes of a flatbuffer whose root is `root`, with a four-character `identifier`.
    /// `capacity`: the bytes to reserve at once (the size expected), so that a model's weights are
    /// not copied again as the buffer grows.
    public static func serialize(root: FlatTable, identifier: String, capacity: Int = 0) -> [UInt8] {
        var writer = Writer()
        writer.bytes.reserveCapacity(capacity)
        writer.bytes = [0, 0, 0, 0] + Array(identifier.utf8.prefix(4))
        writer.bytes += Array(repeating: 0, count: 8 - writer.bytes.count)
        let position = writer.table(root)
        writer.patch(at: 0, to: position)
        return writer.bytes
    }

    struct Writer {
        var bytes: [UInt8] = []

        mutating func align(_ alignment: Int) {
            let pad = (alignment - bytes.count % alignment) % alignment
            bytes += Array(repeating: 0, count: pad)
        }

        mutating func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
        }

        mutating func put<T: FixedWidthInteger>(_ value: T, at position: Int) {
            withUnsafeBytes(of: value.littleEndian) { raw in
                for (i, byte) in raw.enumerated() { bytes[position + i] = byte }
            }
        }

        /// Points the `uoffset` at `field` to `target` (which lies after it).
        mutating func patch(at field: Int, to target: Int) { put(UInt32(target - field), at: field) }

        /// Writes a table (vtable first) and everything it references; returns the table's position.
        mutating func table(_ table: FlatTable) -> Int {
            let ids = table.fields.keys.sorted()
            // Inline fields, largest first so each stays aligned with no padding between them.
            let order = ids.sorted { (table.fields[$0]!.inlineSize, $1) > (table.fields[$1]!.inlineSize, $0) }
            var offsets: [Int: Int] = [:]
            var size = 4
            for id in order {
                let width = table.fields[id]!.inlineSize
                size = (size + width - 1) / width * width
                offsets[id] = size
                size += width
            }
            let widest = order.first.map { table.fields[$0]!.inlineSize } ?? 4
            let slots = (ids.last ?? -1) + 1
            let vtableSize = 4 + 2 * slots
            // The vtable, then padding so that the table starts aligned to its widest field.
            let tableAlignment = max(4, widest)
            let unpadded = bytes.count + vtableSize
            let pad = (tableAlignment - unpadded % tableAlignment) % tableAlignment
            bytes += Array(repeating: 0, count: pad)
            let vtable = bytes.count
            append(UInt16(vtableSize))
            append(UInt16(size))
            for id in 0..<slots { append(UInt16(offsets[id] ?? 0)) }
            let start = bytes.count
            precondition(start % tableAlignment == 0)
            bytes += Array(repeating: 0, count: size)
            put(Int32(start - vtable), at: start)
            var references: [(field: Int, value: FlatField)] = []
            for id in ids {
                let at = start + offsets[id]!
                switch table.fields[id]! {
                case .int8(let v): put(v, at: at)
                case .uint8(let v): put(v, at: at)
                case .bool(let v): put(UInt8(v ? 1 : 0), at: at)
                case .int32(let v): put(v, at: at)
                case .uint32(let v): put(v, at: at)
                case .int64(let v): put(v, at: at)
                case .uint64(let v): put(v, at: at)
                case .float(let v): put(v.bitPattern, at: at)
                case let reference: references.append((at, reference))
                }
            }
            for (field, value) in references { patch(at: field, to: object(value)) }
            return start
        }

        /// Writes a referenced object (table, string or vector); returns its position.
        mutating func object(_ value: FlatField) -> Int {
            switch value {
            case .table(let table):
                return self.table(table)
            case .string(let text):
                align(4)
                let start = bytes.count
                let utf8 = Array(text.utf8)
                append(UInt32(utf8.count))
                bytes += utf8 + [0]
                return start
            case .scalars(let data, let elementSize, let alignment):
                // The count sits right before the first element, which is aligned.
                let elementAlignment = max(alignment, elementSize, 4)
                let pad = (elementAlignment - (bytes.count + 4) % elementAlignment) % elementAlignment
                bytes += Array(repeating: 0, count: pad)
                let start = bytes.count
                append(UInt32(data.count / max(elementSize, 1)))
                bytes += data
                return start
            case .floatBytes(let values, let alignment):
                let pad = (max(alignment, 4) - (bytes.count + 4) % max(alignment, 4)) % max(alignment, 4)
                bytes += Array(repeating: 0, count: pad)
                let start = bytes.count
                append(UInt32(values.count * 4))
                #if _endian(little)
                values.withUnsafeBytes { bytes += $0 }
                #else
                for value in values { append(value.bitPattern) }
                #endif
                return start
            case .tables(let tables):
                align(4)
                let start = bytes.count
                append(UInt32(tables.count))
                let fields = bytes.count
                bytes += Array(repeating: 0, count: 4 * tables.count)
                for (i, table) in tables.enumerated() { patch(at: fields + 4 * i, to: self.table(table)) }
                return start
            default:
                preconditionFailure("\(value) is stored inline")
            }
        }
    }
}
