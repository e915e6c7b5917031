import FlatBuffers
import TestSupport
import XCTest

/// The builder against the reader: every kind of field written and read back, every scalar and
/// vector at an address aligned to its size, the identifier in place, and the same tree giving
/// the same bytes. The writer's TFLite files are also run by LiteRT (CLITests).
final class FlatBufferBuilderTests: XCTestCase {
    func tree() -> FlatTable {
        var leaf = FlatTable()
        leaf[0] = .int64(-5_000_000_000)
        leaf[2] = .string("leaf ü")
        var root = FlatTable()
        root[0] = .uint32(3)
        root[1] = .int8(-7)
        root[2] = .bool(true)
        root[3] = .float(0.25)
        root[4] = .uint64(1 << 40)
        root[5] = .int32s([1, -2, 3])
        root[6] = .table(leaf)
        root[7] = .tables([leaf, FlatTable(), leaf])
        root[8] = .scalars(bytes: Array(0..<37), elementSize: 1, alignment: 16)
        root[10] = .floats([1.5, -2])
        root[11] = .uint8(200)
        return root
    }

    func testFieldsReadBackThroughTheCheckedReader() throws {
        let bytes = FlatBufferBuilder.serialize(root: tree(), identifier: "TFL3")
        let buffer = try FlatBuffer(bytes)
        XCTAssertEqual(buffer.identifier, Array("TFL3".utf8))
        let root = try buffer.root()
        XCTAssertEqual(try root.scalar(0, default: UInt32(0)), 3)
        XCTAssertEqual(try root.scalar(1, default: Int8(0)), -7)
        XCTAssertEqual(try root.scalar(2, default: UInt8(0)), 1)
        XCTAssertEqual(try root.float(3, default: 0), 0.25)
        XCTAssertEqual(try root.scalar(4, default: UInt64(0)), 1 << 40)
        XCTAssertEqual(try root.vector(5, elementSize: 4)?.scalars(Int32.self), [1, -2, 3])
        let leaf = try XCTUnwrap(try root.table(6))
        XCTAssertEqual(try leaf.scalar(0, default: Int64(0)), -5_000_000_000)
        XCTAssertEqual(try leaf.scalar(1, default: Int32(42)), 42, "an absent field reads as its default")
        XCTAssertEqual(try leaf.string(2), "leaf ü")
        let tables = try XCTUnwrap(try root.vector(7, elementSize: 4))
        XCTAssertEqual(tables.count, 3)
        XCTAssertEqual(try tables.table(2).string(2), "leaf ü")
        XCTAssertNil(try tables.table(1).string(2))
        let data = try XCTUnwrap(try root.vector(8, elementSize: 1))
        XCTAssertEqual(Array(data.bytes), Array(0..<37))
        XCTAssertEqual(data.start % 16, 0, "buffer data aligned to 16")
        XCTAssertNil(try root.vector(9, elementSize: 4), "field 9 was never written")
        XCTAssertEqual(try root.vector(10, elementSize: 4)?.scalars(UInt32.self).map(Float.init(bitPattern:)), [1.5, -2])
        XCTAssertEqual(try root.scalar(11, default: UInt8(0)), 200)
    }

    /// Every inline scalar at a multiple of its size from the buffer's start (what flatbuffers
    /// readers in other languages assume), whatever mix of field sizes a table has.
    func testScalarsAndVectorsAreAligned() throws {
        for seed in 0..<40 {
            var table = FlatTable()
            var expected: [(id: Int, size: Int)] = []
            for id in 0..<12 where (seed >> (id % 6)) & 1 == 1 || id == seed % 12 {
                switch (id + seed) % 4 {
                case 0: table[id] = .int8(1); expected.append((id, 1))
                case 1: table[id] = .int32(2); expected.append((id, 4))
                case 2: table[id] = .int64(3); expected.append((id, 8))
                default: table[id] = .int32s([4, 5]); expected.append((id, 4))
                }
            }
            let bytes = FlatBufferBuilder.serialize(root: table, identifier: "TEST")
            let root = try FlatBuffer(bytes).root()
            for (id, size) in expected {
                let at = root.position + Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: try! vtable(bytes, root.position) + 4 + 2 * id, as: UInt16.self) })
                XCTAssertEqual(at % size, 0, "seed \(seed): field \(id) of \(size) bytes at \(at)")
            }
        }
        XCTAssertEqual(FlatBufferBuilder.serialize(root: tree(), identifier: "TFL3"), FlatBufferBuilder.serialize(root: tree(), identifier: "TFL3"))
    }

    func vtable(_ bytes: [UInt8], _ table: Int) throws -> Int {
        table - Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: table, as: Int32.self) })
    }
}
