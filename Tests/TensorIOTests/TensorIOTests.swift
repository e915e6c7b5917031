import Foundation
import MobileNetIR
import ProtobufFormats
import TensorIO
import TestSupport
import XCTest

/// Tensor files written by numpy and onnx (`make_fixtures.py`, `make_tensor_files`), atomic
/// writes, mapped reads and the JSON convention.
final class TensorIOTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func out(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// What every fixture holds: `(i - 11.5) / 8` for `i` in `0..<24`, shape `[2, 3, 4]`.
    let arange = Tensor(shape: [2, 3, 4], data: (0..<24).map { (Float($0) - 11.5) / 8 })

    func testReadsWhatNumpyAndOnnxWrote() throws {
        for name in ["arange_f32.npy", "arange_f64.npy", "arange_f32_v2.npy", "arange_f32.pb", "arange_f16.pb"] {
            XCTAssertEqual(try TensorFile.read(Fixtures.path("tensors/\(name)")), arange, name)
        }
        XCTAssertEqual(try TensorFile.read(Fixtures.path("tensors/arange_i64.pb")), Tensor(shape: [2, 3, 4], data: (0..<24).map { Float($0 - 12) }))
        XCTAssertEqual(try TensorFile.read(Fixtures.path("tensors/scalar_f32.npy")), Tensor(shape: [], data: [-2.5]))
    }

    func testRefusesArraysItCannotReadFaithfully() throws {
        for (name, detail) in [("fortran_f32.npy", "Fortran order"), ("int32.npy", "dtype <i4"), ("big_endian_f32.npy", "dtype >f4")] {
            XCTAssertThrowsError(try TensorFile.read(Fixtures.path("tensors/\(name)")), name) { error in
                XCTAssertEqual(error as? TensorIOError, .unsupportedNumpy(detail), name)
            }
        }
        let bytes = try Fixtures.bytes("tensors/arange_f32.npy")
        XCTAssertThrowsError(try NumpyFile.read(Array(bytes.dropLast(4)))) { error in
            XCTAssertEqual(error as? TensorIOError, .truncatedNumpy(expected: bytes.count, actual: bytes.count - 4))
        }
        let proto = out("cut.pb")
        try Data(try Fixtures.bytes("tensors/arange_f32.pb").dropLast(3)).write(to: URL(fileURLWithPath: proto))
        XCTAssertThrowsError(try TensorFile.read(proto)) { error in
            guard case .notATensor = error as? TensorIOError else { return XCTFail("\(error)") }
        }
    }

    func testWritesWhatItReads() throws {
        let tensor = Tensor(shape: [2, 1, 3], data: [1, 2, 3, -4, 5.5, .pi])
        for name in ["t.npy", "t.pb", "t.anything"] {
            try TensorFile.write(tensor, to: out(name), name: "t")
            XCTAssertEqual(try TensorFile.read(out(name)), tensor, name)
        }
    }

    func testNumpyDataStartsAtAMultipleOf64() {
        for shape in [[3], [2, 1, 3], [1, 3, 128, 128], []] {
            let tensor = Tensor(shape: shape, repeating: 0.25)
            let bytes = NumpyFile.serialize(tensor)
            XCTAssertEqual((bytes.count - tensor.count * 4) % 64, 0, "\(shape)")
            XCTAssertEqual(try NumpyFile.read(bytes), tensor)
        }
    }

    func testTensorProtoRoundTripAndTruncation() throws {
        let tensor = Tensor(shape: [2, 3], data: [1, -2, 3.5, .pi, 0, -0.125])
        let bytes = ProtoTensor.onnxBytes(tensor, name: "t")
        let decoded = try bytes.withBytes { (raw) throws(TensorProtoError) in try ProtoTensor(onnxBytes: raw) }
        XCTAssertEqual(decoded.name, "t")
        XCTAssertEqual(decoded.tensor, tensor)
        XCTAssertThrowsError(try Array(bytes.prefix(bytes.count - 3)).withBytes { (raw) throws(TensorProtoError) in try ProtoTensor(onnxBytes: raw) })
        XCTAssertThrowsError(try [UInt8]().withBytes { (raw) throws(TensorProtoError) in try ProtoTensor(onnxBytes: raw) }) { error in
            XCTAssertEqual(error as? TensorProtoError, .notATensor(detail: "the file is empty"))
        }
    }

    func testMappedFileSaysWhyItCannotRead() throws {
        XCTAssertThrowsError(try MappedFile(out("missing"))) { error in
            XCTAssertEqual(error as? TensorIOError, .cannotRead(path: out("missing"), reason: "no such file"))
        }
        XCTAssertThrowsError(try MappedFile(directory.path)) { error in
            XCTAssertEqual((error as? TensorIOError)?.reason, "is a directory, not a file")
        }
        XCTAssertTrue(FileManager.default.createFile(atPath: out("empty"), contents: Data()))
        XCTAssertEqual(try MappedFile(out("empty")).bytes.count, 0)
        XCTAssertEqual(try MappedFile.contents(of: Fixtures.path("tensors/arange_f32.npy")), try Fixtures.bytes("tensors/arange_f32.npy"))
    }

    /// A failed write leaves no file and no temporary file; a successful one replaces the target whole.
    func testAtomicWritesLeaveNothingHalfWritten() throws {
        let target = out("model.bin")
        try AtomicFile.write([1, 2, 3], to: target)
        try AtomicFile.write([4, 5], to: target)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: target))), [4, 5])
        XCTAssertThrowsError(try AtomicFile.write([1], to: out("no/such/folder/x.bin"))) { error in
            guard case .cannotWrite(let path, _) = error as? TensorIOError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, out("no/such/folder/x.bin"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.bin"])
    }

    /// Sorted keys (the same value gives the same bytes), slashes as they are, non-finite numbers as strings.
    func testJSONConvention() throws {
        struct Report: Encodable { var zeta = 1.5, alpha = "a/b", snr = Double.infinity, low = -Double.infinity, bad = Double.nan }
        XCTAssertEqual(String(decoding: try JSONText.encode(Report(), pretty: false), as: UTF8.self),
                       #"{"alpha":"a/b","bad":"nan","low":"-inf","snr":"inf","zeta":1.5}"#)
        XCTAssertEqual(JSONText.report(Report()).split(separator: "\n").count, 7, "one key a line between the braces")
    }
}

/// JPEG and PNG decoding against the pixels TensorFlow decodes from the same files (JPEG with the
/// accurate integer DCT, every decoder's default but TensorFlow's), and the
/// resize and scaling against `tf.image.resize` and keras.applications' `x / 127.5 - 1`
/// (`make_fixtures.py`, `make_images`).
final class ImageTests: XCTestCase {
    func testDecodesWhatTensorFlowDecodes() throws {
        for name in ["square.png", "square.jpg", "rgba.png", "wide.jpg"] {
            let image = try Image.read(Fixtures.path("images/\(name)"))
            let expected = try Fixtures.tensor("images/\(name.replacingOccurrences(of: ".", with: "_"))_decoded.npy")
            XCTAssertEqual([image.height, image.width, 3], expected.shape, name)
            XCTAssertEqual(image.pixels.map(Float.init), expected.data, name)
        }
    }

    func testResizesAndScalesAsKerasInputs() throws {
        for name in ["square.png", "square.jpg", "wide.jpg"] {
            let image = try Image.read(Fixtures.path("images/\(name)"))
            let expected = try Fixtures.tensor("images/\(name.replacingOccurrences(of: ".", with: "_"))_input.npy")
            let nhwc = image.tensor(side: 128, preprocessing: .keras, layout: .nhwc)
            XCTAssertEqual(nhwc.shape, [1, 128, 128, 3])
            assertClose(nhwc, expected, tolerance: 1e-5, name)
            XCTAssertEqual(image.tensor(side: 128, preprocessing: .keras, layout: .nchw), nhwc.converted(from: .nhwc, to: .nchw), name)
        }
    }

    /// Each convention's numbers, on one pixel: BGR order, mean and std per channel.
    func testPreprocessingConventions() {
        let pixel = Image(width: 1, height: 1, pixels: [200, 100, 50])
        func values(_ p: Preprocessing) -> [Float] { pixel.tensor(side: 1, preprocessing: p, layout: .nchw).data }
        let rgb: [Float] = [200, 100, 50]
        let keras = values(.keras)
        for c in 0..<3 { XCTAssertEqual(keras[c], rgb[c] / 127.5 - 1, accuracy: 1e-6) }
        XCTAssertEqual(values(.none), rgb)
        let torch = values(.torch)
        let (mean, std): ([Float], [Float]) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        for c in 0..<3 { XCTAssertEqual(torch[c], (rgb[c] / 255 - mean[c]) / std[c], accuracy: 1e-6) }
        let caffe = values(.caffe)
        XCTAssertEqual(caffe[0], (50 - 103.94) * 0.017, accuracy: 1e-4, "blue first")
        XCTAssertEqual(caffe[2], (200 - 123.68) * 0.017, accuracy: 1e-4, "red last")
        XCTAssertEqual(Preprocessing(properties: Preprocessing.caffe.properties), .caffe, "recorded and read back")
    }

    func testRefusesWhatIsNotAPicture() throws {
        let jpeg = try Fixtures.bytes("images/square.jpg"), png = try Fixtures.bytes("images/square.png")
        for (label, bytes) in [("empty", []), ("text", Array("not an image".utf8)), ("half a JPEG", Array(jpeg.prefix(jpeg.count / 2))),
                               ("half a PNG", Array(png.prefix(png.count / 2))), ("JPEG magic then noise", [0xFF, 0xD8, 0xFF] + Fixtures.noise(count: 4000, seed: 3)),
                               ("PNG magic then noise", Array(png.prefix(8)) + Fixtures.noise(count: 4000, seed: 4))] as [(String, [UInt8])] {
            XCTAssertThrowsError(try Image.decode(bytes), label) { error in
                guard case .notAnImage = error as? TensorIOError else { return XCTFail("\(label): \(error)") }
            }
        }
    }
}
