import FlatBuffers
import TestSupport
import XCTest

/// The reader on a model TensorFlow's own converter wrote (`make_fixtures.py`, `make_tflite`),
/// walked with the ids of `Formats/tflite/schema.fbs`, and on damaged copies of it.
final class FlatBufferReaderTests: XCTestCase {
    /// Everything mnconvert reads of a TFLite model, reached through the reader: the op codes,
    /// every tensor's shape, type and buffer, every operator's inputs, outputs and options, and
    /// the buffers' sizes.
    struct Summary: Equatable {
        var version: UInt32
        var ops: [Int32]
        var tensors: [(shape: [Int32], type: Int8, buffer: UInt32, name: String)]
        var operators: [(opcode: UInt32, inputs: [Int32], outputs: [Int32], convolution: [Int32])]
        var bufferSizes: [Int]
        var inputs: [Int32]
        var outputs: [Int32]

        static func == (a: Summary, b: Summary) -> Bool {
            a.version == b.version && a.ops == b.ops && a.bufferSizes == b.bufferSizes && a.inputs == b.inputs && a.outputs == b.outputs
                && a.tensors.map { "\($0)" } == b.tensors.map { "\($0)" } && a.operators.map { "\($0)" } == b.operators.map { "\($0)" }
        }
    }

    struct Missing: Error {}

    /// A field the walk needs (unlike XCTUnwrap, a damaged file's missing field is no test failure).
    static func required<T>(_ value: T?) throws -> T {
        guard let value else { throw Missing() }
        return value
    }

    static func summary(_ bytes: [UInt8]) throws -> Summary {
        let model = try FlatBuffer(bytes).root()
        let codes = try required(try model.vector(1, elementSize: 4))
        let ops = try (0..<codes.count).map { i -> Int32 in
            let code = try codes.table(i)
            return max(Int32(try code.scalar(0, default: Int8(0))), try code.scalar(3, default: Int32(0)))
        }
        let graph = try required(try model.vector(2, elementSize: 4)).table(0)
        let tensorVector = try required(try graph.vector(0, elementSize: 4))
        let tensors = try (0..<tensorVector.count).map { i in
            let t = try tensorVector.table(i)
            return (try t.vector(0, elementSize: 4)?.scalars(Int32.self) ?? [], try t.scalar(1, default: Int8(0)),
                    try t.scalar(2, default: UInt32(0)), try t.string(3) ?? "")
        }
        let operatorVector = try required(try graph.vector(3, elementSize: 4))
        let operators = try (0..<operatorVector.count).map { i in
            let op = try operatorVector.table(i)
            let opcode = try op.scalar(0, default: UInt32(0))
            // A convolution's options (both kinds): padding (a byte), stride_w, stride_h.
            var fields: [Int32] = []
            let code = try codes.table(Int(opcode))
            if [3, 4].contains(max(Int32(try code.scalar(0, default: Int8(0))), try code.scalar(3, default: Int32(0)))), let options = try op.union(3).table {
                fields = [Int32(try options.scalar(0, default: Int8(0))), try options.scalar(1, default: Int32(0)), try options.scalar(2, default: Int32(0))]
            }
            return (opcode, try op.vector(1, elementSize: 4)?.scalars(Int32.self) ?? [],
                    try op.vector(2, elementSize: 4)?.scalars(Int32.self) ?? [], fields)
        }
        let buffers = try required(try model.vector(4, elementSize: 4))
        let sizes = try (0..<buffers.count).map { try buffers.table($0).vector(0, elementSize: 1)?.count ?? 0 }
        return Summary(version: try model.scalar(0, default: UInt32(0)), ops: ops, tensors: tensors, operators: operators, bufferSizes: sizes,
                       inputs: try graph.vector(1, elementSize: 4)?.scalars(Int32.self) ?? [],
                       outputs: try graph.vector(2, elementSize: 4)?.scalars(Int32.self) ?? [])
    }

    func testReadsWhatTensorFlowsConverterWrote() throws {
        let bytes = try Fixtures.bytes("tflite/mobilenet_v1_0.25_128_c37.tflite")
        XCTAssertEqual(try FlatBuffer(bytes).identifier, Array("TFL3".utf8))
        let s = try Self.summary(bytes)
        XCTAssertEqual(s.version, 3)
        // MobileNetV1's ops: CONV_2D (3), DEPTHWISE_CONV_2D (4), MEAN (40) or AVERAGE_POOL_2D (1),
        // RESHAPE (22), SOFTMAX (25); 14 depthwise and 14 pointwise-or-stem convolutions.
        let used = s.operators.map { s.ops[Int($0.opcode)] }
        XCTAssertEqual(used.filter { $0 == 4 }.count, 13)
        XCTAssertEqual(used.filter { $0 == 3 }.count, 15, "the stem, 13 pointwise layers and the 1x1 classifier")
        XCTAssertEqual(used.last, 25)
        let input = s.tensors[Int(s.inputs[0])]
        XCTAssertEqual(input.shape, [1, 128, 128, 3])
        XCTAssertEqual(input.type, 0, "float32")
        XCTAssertEqual(s.tensors[Int(s.outputs[0])].shape, [1, 37])
        // Every constant's buffer holds its float32 elements.
        for t in s.tensors where t.buffer != 0 && s.bufferSizes[Int(t.buffer)] > 0 {
            XCTAssertEqual(s.bufferSizes[Int(t.buffer)], t.shape.reduce(1) { $0 * Int($1) } * (t.type == 0 ? 4 : t.type == 1 ? 2 : 4), t.name)
        }
        // The stem: 3x3 stride 2 (Conv2DOptions: padding, stride_w, stride_h).
        let stem = try XCTUnwrap(s.operators.first { s.ops[Int($0.opcode)] == 3 })
        XCTAssertEqual(stem.convolution, [0, 2, 2], "SAME, stride 2 x 2")
        XCTAssertEqual(s.tensors[Int(stem.inputs[1])].shape, [8, 3, 3, 3], "OHWI weights")
    }

    func testRefusesWhatIsNotAFlatBuffer() {
        for bytes: [UInt8] in [[], [1, 2, 3], [0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0], Array(repeating: 0, count: 64)] {
            XCTAssertThrowsError(try Self.summary(bytes), "\(bytes.prefix(8))")
        }
    }

    /// Damaged copies (bytes changed, cut, inserted) either read or fail with an error: never a
    /// crash, a hang or an allocation the file's size does not allow.
    func testDamagedFilesFailCleanly() throws {
        let bytes = try Fixtures.bytes("tflite/mobilenet_v1_0.25_128_c37.tflite")
        // The structure sits in the first bytes and after the weights: damage both ends most.
        let hot = Array(0..<min(4096, bytes.count)) + Array(max(0, bytes.count - 16384)..<bytes.count)
        var state: UInt64 = 17
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        var refused = 0
        for round in 0..<3000 {
            var damaged = bytes
            switch round % 4 {
            case 0: for _ in 0..<(1 + next(8)) { damaged[hot[next(hot.count)]] = UInt8(next(256)) }
            case 1: damaged[hot[next(hot.count)]] ^= 0x80
            case 2: damaged = Array(damaged.prefix(next(bytes.count)))
            default:
                let at = hot[next(hot.count)]
                damaged.replaceSubrange(at..<at, with: (0..<(1 + next(16))).map { _ in UInt8(next(256)) })
            }
            do { _ = try Self.summary(damaged) } catch { refused += 1 }
        }
        XCTAssertGreaterThan(refused, 500, "most damage is noticed")
    }
}
