import Foundation
import MNWFormat
import MobileNetIR
import TestSupport
import TensorIO
import XCTest

final class MNWFormatTests: XCTestCase {
    /// A graph that uses every op and every attribute the format stores.
    static func everyOpGraph() -> Graph {
        let ops: [Op] = [
            .conv2d(Conv2D(stride: [2, 1], padding: .explicit([0, 1, 2, 3]), dilation: [1, 2], groups: 1, activation: .clip(min: -1, max: .infinity))),
            .conv2d(Conv2D(padding: .sameUpper, activation: .relu6)),
            .conv2d(Conv2D(padding: .sameLower, activation: .relu)),
            .batchNorm(epsilon: 1e-3), .affine, .activation(.relu6), .activation(.clip(min: -.infinity, max: 3)),
            .pad(pads: [0, 0, 1, 1, 0, 0, 1, 1], value: 0.5),
            .averagePool(Pool(kernel: [3, 3], stride: [2, 2], padding: .explicit([1, 1, 1, 1]), countIncludePad: true, ceilMode: true)),
            .maxPool(Pool(kernel: [2, 2], stride: [2, 2], padding: .sameUpper)),
            .globalAveragePool, .reduceMean(axes: [2, 3], keepDims: false), .dense, .reshape(shape: [0, -1]), .flatten(axis: 1),
            .squeeze(axes: [2, 3]), .unsqueeze(axes: [1]), .transpose(perm: [0, 2, 3, 1]), .softmax(axis: 1, coerced: true),
            .binary(.add), .binary(.sub), .binary(.mul), .binary(.div), .identity,
        ]
        var nodes: [Node] = []
        var previous = "x"
        for (i, op) in ops.enumerated() {
            let inputs = [previous] + (1..<op.inputArity.1).map { $0 == 2 && op == .dense ? "" : "w\($0)" }
            nodes.append(Node(name: "node\(i)", op: op, inputs: inputs, outputs: ["v\(i)"]))
            previous = "v\(i)"
        }
        let constants = (1...4).reduce(into: [String: Tensor]()) { $0["w\($1)"] = Tensor(shape: [$1, 2], data: (0..<(2 * $1)).map { Float($0) * 0.37 - 1 }) }
        return Graph(inputs: [GraphInput(name: "x", shape: [nil, 3, 224, 224], layout: .nchw)], outputs: [previous],
                     nodes: nodes, constants: constants,
                     metadata: Metadata(sourceFormat: "onnx", producer: "tf2onnx 1.17.0", sourceInputLayout: .nhwc,
                                        properties: ["onnx_opset": "13", "z": "last"]))
    }

    func testRoundTripKeepsEveryOpAndAttribute() throws {
        let graph = Self.everyOpGraph()
        XCTAssertEqual(try MNWFile.deserialize(try MNWFile.serialize(graph)), graph)
    }

    func testSameGraphGivesTheSameBytes() throws {
        XCTAssertEqual(try MNWFile.serialize(Self.everyOpGraph()), try MNWFile.serialize(Self.everyOpGraph()))
    }

    func testLayoutIsAlignedAndChecksummed() throws {
        let bytes = try MNWFile.serialize(Self.everyOpGraph())
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x4D, 0x4E, 0x57, 0x0D, 0x0A, 0x1A, 0x0A])
        let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        let header = try JSONSerialization.jsonObject(with: Data(bytes[32..<(32 + headerLength)])) as! [String: Any]
        let dataStart = (32 + headerLength + 63) / 64 * 64
        for record in header["tensors"] as! [[String: Any]] {
            let offset = record["offset"] as! Int, length = record["length"] as! Int
            XCTAssertEqual((dataStart + offset) % 64, 0, "tensor \(record["name"]!) is 64-byte aligned in the file")
            let crc = CRC32.checksum(Array(bytes[(dataStart + offset)..<(dataStart + offset + length)]))
            XCTAssertEqual(UInt32(record["crc32"] as! Int), crc)
        }
    }

    func testCRC32CheckValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)  // the CRC-32 catalogue's check value
    }

    /// Eight bytes at a time against the definition, one bit at a time, over every length up to
    /// 40 and every starting alignment.
    func testCRC32MatchesTheBitwiseDefinition() {
        func bitwise(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        var state: UInt32 = 12345
        let bytes = (0..<64).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
        for start in 0..<8 {
            for length in 0...40 {
                let slice = bytes[start..<(start + length)]
                XCTAssertEqual(CRC32.checksum(Array(slice)), bitwise(slice), "start \(start) length \(length)")
            }
        }
    }

    func testReaderSaysWhichCheckFailed() throws {
        let bytes = try MNWFile.serialize(Self.everyOpGraph())
        func error(_ damaged: [UInt8]) -> MNWError? {
            do { _ = try MNWFile.deserialize(damaged); return nil } catch { return error }
        }
        XCTAssertEqual(error([]), .tooShort(size: 0))
        XCTAssertEqual(error(Array(repeating: 7, count: 100)), .badMagic)
        var version = bytes
        version[8] = 2
        XCTAssertEqual(error(version), .unsupportedVersion(major: 2, minor: 0))
        var header = bytes
        header[40] ^= 0x01
        XCTAssertEqual(error(header), .headerChecksum)
        var tensor = bytes
        tensor[tensor.count - 2] ^= 0x01
        XCTAssertEqual(error(tensor), .tensorChecksum(name: "w4"))
        guard case .sizeMismatch? = error(Array(bytes.dropLast(5))) else { return XCTFail("truncation not detected") }
        XCTAssertEqual(error(Array(bytes.prefix(40))), .headerOutOfBounds)
        guard case .sizeMismatch? = error(bytes + [0]) else { return XCTFail("trailing bytes not detected") }
    }

    func testRefusesNonFiniteWeights() {
        var graph = Self.everyOpGraph()
        graph.constants["w1"]!.data[1] = .nan
        XCTAssertThrowsError(try MNWFile.serialize(graph))
    }

    func testAtomicWriteLeavesNoFileOnFailure() throws {
        let directory = try Fixtures.temporaryDirectory()
        let target = directory.appendingPathComponent("missing-folder/out.mnw").path
        XCTAssertThrowsError(try MNWFile.write(Self.everyOpGraph(), to: target))
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
        let good = directory.appendingPathComponent("out.mnw").path
        try MNWFile.write(Self.everyOpGraph(), to: good)
        XCTAssertEqual(try MNWFile.read(contentsOf: good), Self.everyOpGraph())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["out.mnw"], "no temporary file left behind")
    }
}

/// `Examples/read_mnw.py`, the reader users copy, against files this writer makes: it must read
/// every tensor as written and notice a corrupt one.
final class NumpyReaderTests: XCTestCase {
    func testNumpyReaderReadsWhatIsWritten() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let graph = MNWFormatTests.everyOpGraph()
        let path = directory.appendingPathComponent("every-op.mnw").path
        try MNWFile.write(graph, to: path)

        let dump = """
            import json, sys
            sys.path.insert(0, "Examples")
            from read_mnw import read_mnw
            header, tensors = read_mnw(sys.argv[1])
            print(json.dumps({"nodes": [n["op"] for n in header["graph"]["nodes"]],
                              "tensors": {k: {"shape": list(v.shape), "values": v.ravel().tolist()} for k, v in tensors.items()}}))
            """
        let result = try runProcess(try Fixtures.python, ["-c", dump, path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((json["nodes"] as? [String])?.count, graph.nodes.count)
        let tensors = try XCTUnwrap(json["tensors"] as? [String: [String: Any]])
        XCTAssertEqual(Set(tensors.keys), Set(graph.constants.keys))
        for (name, tensor) in graph.constants {
            XCTAssertEqual(tensors[name]?["shape"] as? [Int], tensor.shape, name)
            XCTAssertEqual((tensors[name]?["values"] as? [Double])?.map { Float($0) }, tensor.data, name)
        }

        let printed = try runProcess(try Fixtures.python, ["Examples/read_mnw.py", path])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        let parameters = graph.constants.values.reduce(0) { $0 + $1.count }
        XCTAssertTrue(printed.stdout.hasSuffix("\(graph.constants.count) tensors, \(parameters) parameters, all checksums valid\n"), printed.stdout)

        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 1] ^= 0x40
        let damaged = directory.appendingPathComponent("damaged.mnw")
        try Data(bytes).write(to: damaged)
        let refused = try runProcess(try Fixtures.python, ["Examples/read_mnw.py", damaged.path])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("ValueError: tensor ") && refused.stderr.contains("is corrupt"), refused.stderr)
    }
}
