/// A flatbuffer read with every offset in it treated as hostile.
///
/// The format (flatbuffers' binary layout): the buffer starts with a `uoffset` (UInt32, little
/// endian) to the root table; a table starts with a signed 32-bit offset back to its vtable; a
/// vtable is UInt16s: its own size, the table's size, then one offset per field (0: absent,
/// default value), field `i` at byte `4 + 2 i`; a table's reference fields hold a `uoffset`
/// forward from the field to a table, a vector (UInt32 count, then the elements) or a string (a
/// vector of bytes). Every read here checks the position against the buffer first, and every
/// count against what the rest of the buffer can hold, so no file can make it read out of bounds,
/// loop, or allocate more than the file's size.
///
/// ```swift
/// let buffer = try FlatBuffer(bytes)
/// let model = try buffer.root()
/// let version = try model.scalar(0, default: UInt32(0))
/// ```
public struct FlatBuffer: Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(FlatBufferError) {
        guard bytes.count >= 8 else { throw .outOfBounds("the buffer is \(bytes.count) bytes, shorter than a root offset and an identifier") }
        guard bytes.count <= Int(Int32.max) else { throw .outOfBounds("the buffer is larger than 2 GiB, which flatbuffers cannot address") }
        self.bytes = bytes
    }

    /// The four-character file identifier after the root offset (`TFL3` for TFLite).
    public var identifier: [UInt8] { Array(bytes[4..<8]) }

    public func root() throws(FlatBufferError) -> Table {
        try table(at: Int(try load(UInt32.self, at: 0)), what: "the root table")
    }

    /// A little-endian value of `T` at `position`, checked against the buffer.
    func load<T: FixedWidthInteger>(_: T.Type, at position: Int) throws(FlatBufferError) -> T {
        guard position >= 0, position <= bytes.count - MemoryLayout<T>.size else {
            throw .outOfBounds("a \(MemoryLayout<T>.size)-byte value at \(position), past the end (\(bytes.count) bytes)")
        }
        return bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: position, as: T.self)) }
    }

    /// The table at `position`, its vtable checked: inside the buffer, of a size that holds its
    /// own header, with the table's declared size inside the buffer too.
    func table(at position: Int, what: String) throws(FlatBufferError) -> Table {
        let vtableOffset = Int(try load(Int32.self, at: position))
        let vtable = position - vtableOffset
        let vtableSize = Int(try load(UInt16.self, at: vtable))
        let tableSize = Int(try load(UInt16.self, at: vtable + 2))
        guard vtableSize >= 4, vtableSize % 2 == 0, vtable + vtableSize <= bytes.count, tableSize >= 4, position + tableSize <= bytes.count else {
            throw .outOfBounds("\(what) at \(position) has a vtable at \(vtable) of \(vtableSize) bytes for a \(tableSize)-byte table")
        }
        return Table(buffer: self, position: position, vtable: vtable, vtableSize: vtableSize, tableSize: tableSize)
    }
}

/// Why a flatbuffer cannot be read: every case is a file that is truncated or corrupt.
public enum FlatBufferError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An offset, a count or a size that points outside the buffer or cannot be what it claims.
    case outOfBounds(String)

    public var description: String {
        switch self {
        case .outOfBounds(let detail): "corrupt or truncated flatbuffer: \(detail)"
        }
    }
}

/// One table of a checked buffer. Fields are numbered from 0 in schema order (a union takes two:
/// its type, then its value).
public struct Table: Sendable {
    let buffer: FlatBuffer
    public let position: Int
    let vtable: Int
    let vtableSize: Int
    let tableSize: Int

    /// Where field `index` lies, or nil when the table does not have it (its default applies).
    func fieldPosition(_ index: Int, size: Int) throws(FlatBufferError) -> Int? {
        let slot = 4 + 2 * index
        guard index >= 0, slot + 2 <= vtableSize else { return nil }
        let offset = Int(try buffer.load(UInt16.self, at: vtable + slot))
        guard offset != 0 else { return nil }
        guard offset + size <= tableSize else {
            throw .outOfBounds("field \(index) of the table at \(position) lies past the table's \(tableSize) bytes")
        }
        return position + offset
    }

    public func scalar<T: FixedWidthInteger>(_ index: Int, default value: T) throws(FlatBufferError) -> T {
        guard let at = try fieldPosition(index, size: MemoryLayout<T>.size) else { return value }
        return try buffer.load(T.self, at: at)
    }

    public func float(_ index: Int, default value: Float) throws(FlatBufferError) -> Float {
        guard let at = try fieldPosition(index, size: 4) else { return value }
        return Float(bitPattern: try buffer.load(UInt32.self, at: at))
    }

    /// Where a reference field points: the field's position plus its `uoffset`.
    func reference(_ index: Int) throws(FlatBufferError) -> Int? {
        guard let at = try fieldPosition(index, size: 4) else { return nil }
        let target = at + Int(try buffer.load(UInt32.self, at: at))
        guard target < buffer.bytes.count else { throw .outOfBounds("field \(index) of the table at \(position) points past the end") }
        return target
    }

    public func table(_ index: Int) throws(FlatBufferError) -> Table? {
        guard let target = try reference(index) else { return nil }
        return try buffer.table(at: target, what: "the table in field \(index)")
    }

    /// A vector of elements `elementSize` bytes wide (4 for tables and strings, which are offsets).
    public func vector(_ index: Int, elementSize: Int) throws(FlatBufferError) -> Vector? {
        guard let target = try reference(index) else { return nil }
        let count = Int(try buffer.load(UInt32.self, at: target))
        let start = target + 4
        guard count <= (buffer.bytes.count - start) / max(elementSize, 1) else {
            throw .outOfBounds("the vector in field \(index) claims \(count) elements of \(elementSize) bytes, more than the buffer holds")
        }
        return Vector(buffer: buffer, start: start, count: count, elementSize: elementSize)
    }

    public func string(_ index: Int) throws(FlatBufferError) -> String? {
        guard let bytes = try vector(index, elementSize: 1) else { return nil }
        return String(decoding: buffer.bytes[bytes.start..<(bytes.start + bytes.count)], as: UTF8.self)
    }

    /// A union's type (field `index`) and its table (field `index + 1`).
    public func union(_ index: Int) throws(FlatBufferError) -> (type: UInt8, table: Table?) {
        (try scalar(index, default: UInt8(0)), try table(index + 1))
    }
}

/// A vector of a checked buffer: its elements lie inside the buffer.
public struct Vector: Sendable {
    let buffer: FlatBuffer
    /// The first element's position.
    public let start: Int
    public let count: Int
    let elementSize: Int

    public func scalar<T: FixedWidthInteger>(_ i: Int, as: T.Type = T.self) throws(FlatBufferError) -> T {
        guard i >= 0, i < count else { throw .outOfBounds("element \(i) of a \(count)-element vector") }
        return try buffer.load(T.self, at: start + i * elementSize)
    }

    public func scalars<T: FixedWidthInteger>(_: T.Type = T.self) throws(FlatBufferError) -> [T] {
        var values: [T] = []
        values.reserveCapacity(count)
        for i in 0..<count { values.append(try scalar(i, as: T.self)) }
        return values
    }

    public func table(_ i: Int) throws(FlatBufferError) -> Table {
        let at = start + i * 4
        let target = at + Int(try scalar(i, as: UInt32.self))
        return try buffer.table(at: target, what: "table \(i) of a vector")
    }

    public func string(_ i: Int) throws(FlatBufferError) -> String {
        let at = start + i * 4
        let target = at + Int(try scalar(i, as: UInt32.self))
        let length = Int(try buffer.load(UInt32.self, at: target))
        guard length <= buffer.bytes.count - target - 4 else { throw .outOfBounds("string \(i) of a vector runs past the end") }
        return String(decoding: buffer.bytes[(target + 4)..<(target + 4 + length)], as: UTF8.self)
    }

    /// The elements' bytes (a `[ubyte]` vector: a TFLite buffer's data).
    public var bytes: ArraySlice<UInt8> { buffer.bytes[start..<(start + count * elementSize)] }
}
