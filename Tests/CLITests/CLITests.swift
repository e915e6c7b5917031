import Foundation
import MobileNetIR
import TensorIO
import TestSupport
import XCTest

/// The `mnconvert` executable as users call it: arguments in, lines and an exit status out.
final class CLITests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func out(_ name: String) -> String { directory.appendingPathComponent(name).path }

    struct MissingExecutable: Error, CustomStringConvertible {
        var description: String
    }

    /// The binary built beside this test bundle (SwiftPM builds it with the tests).
    var executable: URL {
        get throws {
            let folder = Bundle(for: CLITests.self).bundleURL
            let candidates = [folder, folder.deletingLastPathComponent()].map { $0.appendingPathComponent("mnconvert") }
            guard let url = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
                throw MissingExecutable(description: "mnconvert is not built beside the tests (looked in \(candidates.map(\.path)))")
            }
            return url
        }
    }

    func mnconvert(_ arguments: String...) throws -> ProcessOutcome {
        try runProcess(try executable, arguments)
    }

    func testConvertPrintsTheReportAndWrites() throws {
        let target = out("example.mnw")
        let result = try mnconvert("Examples/mobilenet_v1_0.25_128.onnx", target)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("result: agree"), result.stdout)
        XCTAssertTrue(result.stdout.contains("top-1 4/4"), result.stdout)
        XCTAssertTrue(result.stdout.contains("wrote \(target)"), result.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: target))

        let json = try mnconvert("convert", "Examples/mobilenet_v1_0.25_128.onnx", out("again.mnw"), "--json", "--samples", "2")
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(report?["agrees"] as? Bool, true)
        XCTAssertEqual(report?["samples"] as? Int, 2)
    }

    func testBadInputIsOneLineAndStatusTwo() throws {
        let empty = out("empty.onnx")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        for input in [empty, "Tests/Fixtures/bad-onnx/unsupported_op.onnx", "Tests/Fixtures/bad-onnx/nan_weight.onnx", "no/such/file.onnx"] {
            let target = out("never.mnw")
            let result = try mnconvert(input, target)
            XCTAssertEqual(result.status, 2, input)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("mnconvert: error: \(input): "), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: target))
        }
    }

    /// A channels-first tensor for a model whose users feed channels-last: one line that names
    /// both shapes in the tensor's layout, `--layout nchw` only when it would fit, no output.
    func testInputInTheOtherLayoutSaysWhatToPass() throws {
        let model = "Examples/mobilenet_v1_0.25_128.onnx"
        let (fits, wrongSize) = (out("fits.npy"), out("other_size.npy"))
        try Data(NumpyFile.serialize(Tensor(shape: [1, 3, 128, 128], data: .init(repeating: 0.5, count: 3 * 128 * 128))))
            .write(to: URL(fileURLWithPath: fits))
        try Data(NumpyFile.serialize(Tensor(shape: [1, 3, 96, 96], data: .init(repeating: 0.5, count: 3 * 96 * 96))))
            .write(to: URL(fileURLWithPath: wrongSize))
        let target = out("y.npy")
        let refused = try mnconvert("run", model, "--input", fits, "--output", target)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("has shape [1, 3, 128, 128] read as nhwc, the model expects [?, 128, 128, 3] in nhwc; if it is nchw, pass --layout nchw"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
        let otherSize = try mnconvert("run", model, "--input", wrongSize, "--output", target)
        XCTAssertEqual(otherSize.status, 2, otherSize.stderr)
        XCTAssertTrue(otherSize.stderr.hasSuffix("the model expects [?, 128, 128, 3] in nhwc\n"), otherSize.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
        let accepted = try mnconvert("run", model, "--input", fits, "--output", target, "--layout", "nchw")
        XCTAssertEqual(accepted.status, 0, accepted.stderr)
        XCTAssertEqual(try TensorFile.read(target).shape, [1, 1000])
    }

    func testUnwritableOutputIsStatusFour() throws {
        let result = try mnconvert("Examples/mobilenet_v1_0.25_128.onnx", out("missing/dir/out.mnw"), "--no-verify")
        XCTAssertEqual(result.status, 4, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    func testVerifyExitsThreeWhenModelsDisagree() throws {
        let model = "Tests/Fixtures/keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset13.onnx"
        let agree = try mnconvert("verify", model, "--input", "Tests/Fixtures/keras-tf2onnx/input_nhwc.npy",
                                  "--expected", "Tests/Fixtures/keras-tf2onnx/output_keras.npy")
        XCTAssertEqual(agree.status, 0, agree.stdout + agree.stderr)
        // Another model's outputs: same shape, other numbers.
        let other = out("other.npy")
        let run = try mnconvert("run", "Tests/Fixtures/keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset9.onnx",
                                "--input", "Tests/Fixtures/keras-tf2onnx/input_nhwc.npy", "--output", other)
        XCTAssertEqual(run.status, 0, run.stderr)
        let same = try mnconvert("verify", model, "--input", "Tests/Fixtures/keras-tf2onnx/input_nhwc.npy", "--expected", other, "--json")
        XCTAssertEqual(same.status, 0, same.stdout)
        let disagree = try mnconvert("verify", "Tests/Fixtures/pytorch-style/mobilenet_v1_0.25_128_c10_opset7.onnx",
                                     "Tests/Fixtures/pytorch-style/mobilenet_v1_0.25_128_c10_opset17.onnx")
        XCTAssertEqual(disagree.status, 3, "a softmax head against logits: \(disagree.stdout)")
        XCTAssertTrue(disagree.stdout.contains("result: DISAGREE"))
    }

    func testTensorFlowGraphWithSeveralHeads() throws {
        let model = "Tests/Fixtures/tensorflow/slim_mobilenet_v1_0.25_128.pb"
        let ambiguous = try mnconvert(model, out("never.mnw"))
        XCTAssertEqual(ambiguous.status, 2)
        XCTAssertTrue(ambiguous.stderr.contains("--output"), ambiguous.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out("never.mnw")))
        let converted = try mnconvert(model, out("slim.mnw"), "--output", "final_result")
        XCTAssertEqual(converted.status, 0, converted.stderr)
        let expected = "Tests/Fixtures/tensorflow/slim_mobilenet_v1_0.25_128_final_result.npy"
        let input = "Tests/Fixtures/keras-tf2onnx/input_nhwc.npy"
        XCTAssertEqual(try mnconvert("verify", out("slim.mnw"), "--input", input, "--expected", expected).status, 0)
        XCTAssertEqual(try mnconvert("verify", model, "--output-node", "final_result", "--input", input, "--expected", expected).status, 0)
        XCTAssertEqual(try mnconvert("verify", model, out("slim.mnw"), "--output-node", "final_result").status, 0)
        let onnx = try mnconvert("Examples/mobilenet_v1_0.25_128.onnx", out("x.mnw"), "--output-node", "x")
        XCTAssertEqual(onnx.status, 2, "node selection is for TensorFlow graphs")
    }

    func testKerasWeightsOnlyFileWithOptions() throws {
        let weights = "Tests/Fixtures/keras/mobilenet_v1_0.25_128_c37_keras2_weights.h5"
        let converted = try mnconvert(weights, out("w.mnw"), "--resolution", "128", "--classifier-activation", "linear")
        XCTAssertEqual(converted.status, 0, converted.stderr)
        XCTAssertTrue(converted.stdout.contains("[4, 37]"), converted.stdout)
        let refused = try mnconvert("Tests/Fixtures/bad-keras/conv_dw_7_5x5_weights.h5", out("never.mnw"))
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(refused.stderr, "mnconvert: error: Tests/Fixtures/bad-keras/conv_dw_7_5x5_weights.h5: layer 'conv_dw_7': kernel has shape [5, 5, 128, 1], expected [3, 3, 128, 1]\n")
        XCTAssertEqual(try mnconvert("Examples/mobilenet_v1_0.25_128.onnx", out("x.mnw"), "--classifier-activation", "linear").status, 2,
                       "--classifier-activation describes Keras weights-only files")
    }

    func testInfoTableAndJSON() throws {
        let text = try mnconvert("info", "Examples/mobilenet_v1_0.25_128.onnx")
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("MobileNetV1 alpha 0.25, resolution 128, 1000 classes, relu6"), text.stdout)
        XCTAssertTrue(text.stdout.contains("(13570048)"), "13.6 M mult-adds")
        XCTAssertLessThanOrEqual(text.stdout.split(separator: "\n").map(\.count).max() ?? 0, 100, "fits in 100 columns")
        let json = try mnconvert("info", "Examples/mobilenet_v1_0.25_128.onnx", "--json", "--resolution", "224")
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(report?["resolution"] as? Int, 224)
        XCTAssertEqual(report?["alpha"] as? Double, 0.25)
        XCTAssertEqual(report?["classes"] as? Int, 1000)
        for key in ["params", "stored_params", "mult_adds", "layers"] { XCTAssertNotNil(report?[key], key) }
        let first = (report?["layers"] as? [[String: Any]])?.first
        for key in ["name", "source_name", "op", "params", "mult_adds"] { XCTAssertNotNil(first?[key], key) }
        let notMobileNet = try mnconvert("info", "Tests/Fixtures/onnx-backend/test_Conv2d/model.onnx")
        XCTAssertEqual(notMobileNet.status, 2)
        XCTAssertTrue(notMobileNet.stderr.contains("not a MobileNetV1: conv1:"), notMobileNet.stderr)
    }

    func testConvertDeclaresAResolution() throws {
        let converted = try mnconvert("Examples/mobilenet_v1_0.25_128.onnx", out("r160.mnw"), "--resolution", "160", "--samples", "1")
        XCTAssertEqual(converted.status, 0, converted.stderr)
        let info = try mnconvert("info", out("r160.mnw"))
        XCTAssertTrue(info.stdout.hasPrefix("MobileNetV1 alpha 0.25, resolution 160"), info.stdout)
    }

    func testUsageErrorIsStatus64() throws {
        XCTAssertEqual(try mnconvert("verify", "a.onnx").status, 64)
        XCTAssertEqual(try mnconvert("run", "a.onnx").status, 64)
        XCTAssertEqual(try mnconvert("run", "a.onnx", "--input", "x.npy", "--output", "y.npy", "--threads", "0").status, 64)
    }

    /// `--threads` reaches the core wherever it runs; one thread and two compute the same outputs.
    func testThreadsEverywhereTheCoreRuns() throws {
        let model = "Examples/mobilenet_v1_0.25_128.onnx"
        let converted = try mnconvert(model, out("one.mnw"), "--threads", "1", "--samples", "2")
        XCTAssertEqual(converted.status, 0, converted.stderr)
        XCTAssertTrue(converted.stdout.contains("result: agree"), converted.stdout)
        let verified = try mnconvert("verify", model, out("one.mnw"), "--threads", "2", "--samples", "2")
        XCTAssertEqual(verified.status, 0, verified.stderr)
        let perLayer = try mnconvert("verify", model, out("one.mnw"), "--per-layer", "--threads", "1", "--samples", "1")
        XCTAssertEqual(perLayer.status, 0, perLayer.stderr)
        let bench = try mnconvert("bench", model, "--threads", "1", "--runs", "2", "--warmup", "0", "--json")
        let result = try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(result?["threads"] as? Int, 1)

        // The same input through `run` on one and on two threads.
        let input = out("x.npy")
        let image = Tensor(shape: [1, 128, 128, 3], data: (0..<(128 * 128 * 3)).map { Float($0 % 255) / 127.5 - 1 })
        try Data(NumpyFile.serialize(image)).write(to: URL(fileURLWithPath: input))
        for threads in ["1", "2"] {
            let run = try mnconvert("run", out("one.mnw"), "--input", input, "--output", out("y\(threads).npy"), "--threads", threads)
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let one = try TensorFile.read(out("y1.npy")), two = try TensorFile.read(out("y2.npy"))
        XCTAssertEqual(one.shape, [1, 1000])
        assertClose(two, one, tolerance: 1e-5, "run on two threads against one")
    }

    /// The PyTorch-made conformance cases shipped with onnx, through `mnconvert run` with their .pb files.
    func testRunsTheONNXConformanceCases() throws {
        var passed = 0
        for name in try Fixtures.backendCases() where name != "test_ReflectionPad2d" {
            let folder = "Tests/Fixtures/onnx-backend/\(name)"
            let output = out("\(name).pb")
            let run = try mnconvert("run", "\(folder)/model.onnx", "--input", "\(folder)/test_data_set_0/input_0.pb", "--output", output)
            XCTAssertEqual(run.status, 0, "\(name): \(run.stderr)")
            let verify = try mnconvert("verify", "\(folder)/model.onnx", "--input", "\(folder)/test_data_set_0/input_0.pb",
                                       "--expected", "\(folder)/test_data_set_0/output_0.pb", "--tolerance", "1e-5")
            XCTAssertEqual(verify.status, 0, "\(name): \(verify.stdout)\(verify.stderr)")
            assertClose(try TensorFile.read(output), try TensorFile.read(Fixtures.path("onnx-backend/\(name)/test_data_set_0/output_0.pb")), tolerance: 1e-5, name)
            passed += 1
        }
        XCTAssertGreaterThanOrEqual(passed, 20)
        let reflect = try mnconvert("run", "Tests/Fixtures/onnx-backend/test_ReflectionPad2d/model.onnx",
                                    "--input", "Tests/Fixtures/onnx-backend/test_ReflectionPad2d/test_data_set_0/input_0.pb", "--output", out("r.pb"))
        XCTAssertEqual(reflect.status, 2)
        XCTAssertTrue(reflect.stderr.contains("reflect"), reflect.stderr)
    }
}
