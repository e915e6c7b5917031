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
        XCTAssertTrue(result.stdout.contains("1 sample, seed 0") && result.stdout.contains("top-1 1/1"), result.stdout)
        XCTAssertTrue(result.stdout.contains("wrote \(target)"), result.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: target))

        let json = try mnconvert("convert", "Examples/mobilenet_v1_0.25_128.onnx", out("again.mnw"), "--json", "--samples", "2")
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let report = summary["verification"] as? [String: Any]
        XCTAssertEqual(report?["agrees"] as? Bool, true)
        XCTAssertEqual(report?["samples"] as? Int, 2)
        XCTAssertEqual(summary["bytes_written"] as? Int, try FileManager.default.attributesOfItem(atPath: out("again.mnw"))[.size] as? Int)

        // Without verification the JSON still says what was written.
        let unverified = try mnconvert("Examples/mobilenet_v1_0.25_128.onnx", out("fast.mnw"), "--json", "--no-verify")
        XCTAssertEqual(unverified.status, 0, unverified.stderr)
        let written = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(unverified.stdout.utf8)) as? [String: Any])
        XCTAssertTrue(written["verification"] is NSNull)
        XCTAssertEqual(written["output"] as? String, out("fast.mnw"))
        XCTAssertEqual(written["passes"] as? [String: Int], ["absorb-input-transpose": 1, "mul-add-to-affine": 39, "fold-affine": 13, "fold-pad": 4,
                                                             "fuse-activation": 27, "remove-identity": 0, "fold-batch-norm": 0, "remove-unit-transpose": 0])
        XCTAssertEqual(written["mnconvert_version"] as? String, try mnconvert("--version").stdout.trimmingCharacters(in: .whitespacesAndNewlines))
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
        XCTAssertEqual(disagree.stderr.split(separator: "\n").count, 1, disagree.stderr)
        XCTAssertTrue(disagree.stderr.hasPrefix("mnconvert: error: Tests/Fixtures/pytorch-style/mobilenet_v1_0.25_128_c10_opset17.onnx does not compute what "), disagree.stderr)
        // convert says it the same way: the report on stdout, one line on stderr, status 3, no file.
        let strict = try mnconvert("Tests/Fixtures/pytorch-style/mobilenet_v1_0.25_128_c10_opset7.onnx", out("strict.mnw"), "--tolerance", "0", "--samples", "1")
        // (Folding BatchNorm changes the last bits, so a tolerance of 0 always fails.)
        XCTAssertEqual(strict.status, 3, strict.stdout + strict.stderr)
        XCTAssertTrue(strict.stdout.contains("result: DISAGREE"), strict.stdout)
        XCTAssertEqual(strict.stderr.split(separator: "\n").count, 1, strict.stderr)
        XCTAssertTrue(strict.stderr.hasSuffix("\(out("strict.mnw")) was not written\n"), strict.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out("strict.mnw")))
    }

    /// `run --image` on the pictures Keras saw: the Keras model (whose file says it scales the
    /// keras.applications way) computes what Keras computed, and the ONNX export of the same
    /// model, which does not say, needs --preprocess.
    func testRunOnImages() throws {
        let model = "Tests/Fixtures/keras/mobilenet_v1_0.25_128_c37.keras"
        for name in ["square.png", "square.jpg", "rgba.png", "wide.jpg"] {
            let stem = "Tests/Fixtures/images/" + name.replacingOccurrences(of: ".", with: "_")
            let result = try mnconvert("run", model, "--image", "Tests/Fixtures/images/\(name)", "--top", "3", "--output", out("y.npy"), "--save-input", out("x.npy"))
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("preprocessing keras (scale"), result.stdout)
            assertClose(try TensorFile.read(out("x.npy")), try TensorFile.read(stem + "_input.npy"), tolerance: 1e-5, name)
            let expected = try TensorFile.read(stem + "_keras.npy")
            assertClose(try TensorFile.read(out("y.npy")), expected, tolerance: 1e-5, name)
            let best = expected.data.indices.max { expected.data[$0] < expected.data[$1] }!
            let first = result.stdout.split(separator: "\n").first { $0.hasPrefix("  1. ") }
            XCTAssertTrue(first?.hasSuffix("class \(String(format: "%4d", best))") == true, "\(name): \(result.stdout)")
        }

        let onnx = "Tests/Fixtures/keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset13.onnx"
        let unknown = try mnconvert("run", onnx, "--image", "Tests/Fixtures/images/square.png", "--top", "1")
        XCTAssertEqual(unknown.status, 2)
        XCTAssertEqual(unknown.stderr, "mnconvert: error: \(onnx): does not say how its input images are scaled; give --preprocess keras|tf-slim|torch|caffe|none (or --scale, --mean, --std, --bgr)\n")
        let labels = out("labels.txt")
        try (0..<37).map { "kind \($0)" }.joined(separator: "\n").write(toFile: labels, atomically: true, encoding: .utf8)
        let declared = try mnconvert("run", onnx, "--image", "Tests/Fixtures/images/square.png", "--preprocess", "keras", "--top", "2", "--labels", labels, "--output", out("y2.npy"))
        XCTAssertEqual(declared.status, 0, declared.stderr)
        assertClose(try TensorFile.read(out("y2.npy")), try TensorFile.read("Tests/Fixtures/images/square_png_keras.npy"), tolerance: 1e-5)
        let lines = declared.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") }
        XCTAssertEqual(lines.count, 2, declared.stdout)
        for line in lines {
            let index = try XCTUnwrap(Int(line.split(separator: "class ")[1].split(separator: " ")[0]))
            XCTAssertTrue(line.hasSuffix("kind \(index)"), String(line))
        }
        // The same numbers given one by one.
        let custom = try mnconvert("run", onnx, "--image", "Tests/Fixtures/images/square.png", "--scale", "0.00784313725490196", "--mean", "1,1,1", "--output", out("y3.npy"))
        XCTAssertEqual(custom.status, 0, custom.stderr)
        assertClose(try TensorFile.read(out("y3.npy")), try TensorFile.read(out("y2.npy")), tolerance: 1e-6)

        // A converted model records the preprocessing; verify compares two models on a picture.
        XCTAssertEqual(try mnconvert(onnx, out("declared.mnw"), "--preprocess", "keras", "--no-verify").status, 0)
        let fromMNW = try mnconvert("run", out("declared.mnw"), "--image", "Tests/Fixtures/images/wide.jpg", "--output", out("y4.npy"))
        XCTAssertEqual(fromMNW.status, 0, fromMNW.stderr)
        assertClose(try TensorFile.read(out("y4.npy")), try TensorFile.read("Tests/Fixtures/images/wide_jpg_keras.npy"), tolerance: 1e-5)
        let verified = try mnconvert("verify", model, out("declared.mnw"), "--image", "Tests/Fixtures/images/square.jpg")
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        XCTAssertTrue(verified.stdout.contains("1 sample, tolerance"), verified.stdout)

        for (bad, status) in [("Tests/Fixtures/images/missing.png", 2), ("Examples/read_mnw.py", 2)] {
            let refused = try mnconvert("run", model, "--image", bad, "--top", "1")
            XCTAssertEqual(refused.status, Int32(status), refused.stderr)
            XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        }
        XCTAssertEqual(try mnconvert("run", model, "--image", "Tests/Fixtures/images/square.png").status, 64, "neither --top nor --output")
    }

    /// `IN out.onnx` from every source format: onnx's full checker and strict shape inference pass,
    /// and onnxruntime computes what the source framework computed (1e-5 of range, same top-1) at
    /// the fixtures' batch, at batch 1 and at batch 3 (`Scripts/check-onnx.py`).
    func testExportsONNXThatRuntimesRun() throws {
        let f = "Tests/Fixtures/"
        let cases: [(source: [String], input: String, layout: String, expected: String)] = [
            ([f + "keras/mobilenet_v1_0.25_128_c37.keras"], f + "keras-tf2onnx/input_nhwc.npy", "nhwc", f + "keras-tf2onnx/output_keras.npy"),
            ([f + "keras/mobilenet_v1_0.25_128_c37_keras2_weights.h5", "--resolution", "128"], f + "keras-tf2onnx/input_nhwc.npy", "nhwc", f + "keras/output_tf_keras.npy"),
            ([f + "keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset9.onnx"], f + "keras-tf2onnx/input_nhwc.npy", "nhwc", f + "keras-tf2onnx/output_keras.npy"),
            ([f + "tensorflow/tf1_fused_mobilenet_v1_0.25_128.pb"], f + "keras-tf2onnx/input_nhwc.npy", "nhwc", f + "tensorflow/tf1_fused_mobilenet_v1_0.25_128_predictions.npy"),
            ([f + "pytorch-style/mobilenet_v1_0.25_128_c10_opset7.onnx"], f + "pytorch-style/input_nchw.npy", "nchw", f + "pytorch-style/mobilenet_v1_0.25_128_c10_opset7_output_onnxruntime.npy"),
            ([f + "tensorflow/slim_mobilenet_v1_0.25_128.pb", "--output-node", "final_result"], f + "keras-tf2onnx/input_nhwc.npy", "nhwc",
             f + "tensorflow/slim_mobilenet_v1_0.25_128_final_result.npy"),
            ([out("from.mnw")], f + "keras-tf2onnx/input_nhwc.npy", "nhwc", f + "keras-tf2onnx/output_keras.npy"),
        ]
        XCTAssertEqual(try mnconvert(f + "keras/mobilenet_v1_0.25_128_c37.keras", out("from.mnw"), "--no-verify").status, 0)
        let version = try mnconvert("--version").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for c in cases {
            let target = out("exported.onnx")
            let converted = try runProcess(try executable, c.source + [target, "--samples", "2"])
            XCTAssertEqual(converted.status, 0, "\(c.source[0]): \(converted.stderr)")
            XCTAssertTrue(converted.stdout.contains("as written and read back"), converted.stdout)
            let checked = try runProcess(try Fixtures.python, ["Scripts/check-onnx.py", target, "--input", c.input, "--layout", c.layout, "--expected", c.expected])
            XCTAssertEqual(checked.status, 0, "\(c.source[0]): \(checked.stdout)\(checked.stderr)")
            let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(checked.stdout.utf8)) as? [String: Any], checked.stderr)
            XCTAssertEqual(report["ir_version"] as? Int, 7)
            XCTAssertEqual(report["opset"] as? Int, 13)
            let ops = try XCTUnwrap(report["ops"] as? [String])
            for refused in ["BatchNormalization", "Identity", "Dropout", "Pad", "Mul", "Add", "Transpose"] {
                XCTAssertFalse(ops.contains(refused), "\(c.source[0]): \(ops)")
            }
            let input = try XCTUnwrap(report["input"] as? [Any])
            XCTAssertEqual(input.first as? String, "input")
            XCTAssertEqual((input.last as? [Any]).map { $0.map { "\($0)" } }, ["N", "3", "128", "128"])
            XCTAssertEqual((report["metadata"] as? [String: String])?["mnconvert_version"], version)
        }

        // The same input gives the same bytes; other opsets and the NHWC input run too.
        let model = "Tests/Fixtures/keras/mobilenet_v1_0.25_128_c37.keras"
        XCTAssertEqual(try mnconvert(model, out("a.onnx"), "--no-verify").status, 0)
        XCTAssertEqual(try mnconvert(model, out("b.onnx"), "--no-verify").status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out("a.onnx"))), try Data(contentsOf: URL(fileURLWithPath: out("b.onnx"))))
        for options in [["--opset", "11"], ["--opset", "18"], ["--opset", "21"], ["--input-layout", "nhwc"]] {
            let converted = try runProcess(try executable, [model, out("o.onnx"), "--samples", "1"] + options)
            XCTAssertEqual(converted.status, 0, "\(options): \(converted.stderr)")
            let checked = try runProcess(try Fixtures.python, ["Scripts/check-onnx.py", out("o.onnx"), "--input", f + "keras-tf2onnx/input_nhwc.npy",
                                                              "--expected", f + "keras-tf2onnx/output_keras.npy"])
            XCTAssertEqual(checked.status, 0, "\(options): \(checked.stdout)\(checked.stderr)")
        }
        let unknown = try mnconvert(model, out("model.tflite2"))
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("mnconvert writes .mnw, .onnx and .tflite files"), unknown.stderr)
        XCTAssertEqual(try mnconvert("verify", model, out("a.onnx"), "--samples", "2").status, 0)
    }

    /// `IN out.tflite` from every source format (TFLite too): LiteRT runs the file and computes
    /// what the source framework computed (1e-5 of range, same top-1) at the fixtures' batch, at
    /// batch 1 and at batch 3 (`Scripts/check-tflite.py`); the input is NHWC with a dynamic
    /// batch, ReLU6 stays fused, no BatchNorm or Mul/Add is left.
    func testExportsTFLiteThatLiteRTRuns() throws {
        let f = "Tests/Fixtures/"
        let keras = f + "keras-tf2onnx/input_nhwc.npy"
        let cases: [(source: [String], input: String, layout: String, expected: String)] = [
            ([f + "keras/mobilenet_v1_0.25_128_c37.keras"], keras, "nhwc", f + "keras-tf2onnx/output_keras.npy"),
            ([f + "keras/mobilenet_v1_0.25_128_c37_keras2.h5"], keras, "nhwc", f + "keras/output_tf_keras.npy"),
            ([f + "keras/mobilenet_v1_0.25_128_dm2_c11.weights.h5", "--resolution", "128"], keras, "nhwc", f + "keras/output_dm2.npy"),
            ([f + "tensorflow/tf1_fused_mobilenet_v1_0.25_128.pb"], keras, "nhwc", f + "tensorflow/tf1_fused_mobilenet_v1_0.25_128_predictions.npy"),
            ([f + "tensorflow/slim_mobilenet_v1_0.25_128.pb", "--output-node", "final_result"], keras, "nhwc",
             f + "tensorflow/slim_mobilenet_v1_0.25_128_final_result.npy"),
            ([f + "pytorch-style/mobilenet_v1_0.25_128_c10_opset7.onnx"], f + "pytorch-style/input_nchw.npy", "nchw",
             f + "pytorch-style/mobilenet_v1_0.25_128_c10_opset7_output_onnxruntime.npy"),
            ([f + "tflite/mobilenet_v1_0.25_128_c37_fp16.tflite"], keras, "nhwc", f + "tflite/mobilenet_v1_0.25_128_c37_fp16_output.npy"),
        ]
        let version = try mnconvert("--version").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for c in cases {
            let target = out("exported.tflite")
            let converted = try runProcess(try executable, c.source + [target, "--samples", "2"])
            XCTAssertEqual(converted.status, 0, "\(c.source[0]): \(converted.stderr)")
            XCTAssertTrue(converted.stdout.contains("as written and read back"), converted.stdout)
            let checked = try runProcess(try Fixtures.python, ["Scripts/check-tflite.py", target, "--input", c.input, "--layout", c.layout, "--expected", c.expected])
            XCTAssertEqual(checked.status, 0, "\(c.source[0]): \(checked.stdout)\(checked.stderr)")
            let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(checked.stdout.utf8)) as? [String: Any], checked.stderr)
            let ops = Set(try XCTUnwrap(report["ops"] as? [String]))
            XCTAssertTrue(ops.isSubset(of: ["CONV_2D", "DEPTHWISE_CONV_2D", "MEAN", "AVERAGE_POOL_2D", "RESHAPE", "SOFTMAX", "FULLY_CONNECTED", "PAD"]),
                          "\(c.source[0]): \(ops)")
            let input = try XCTUnwrap(report["input"] as? [Any])
            XCTAssertEqual(input.first as? String, "input")
            XCTAssertEqual((input[2] as? [Int]), [-1, 128, 128, 3])
            let metadata = try XCTUnwrap(report["metadata"] as? [String: String])
            XCTAssertEqual(metadata["mnconvert_version"], version)
            XCTAssertEqual(metadata["input_layout"], "nhwc")
        }
        // Same input, same bytes; a TFLite file goes on to ONNX that onnxruntime runs.
        let model = f + "keras/mobilenet_v1_0.25_128_c37.keras"
        XCTAssertEqual(try mnconvert(model, out("a.tflite"), "--no-verify").status, 0)
        XCTAssertEqual(try mnconvert(model, out("b.tflite"), "--no-verify").status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out("a.tflite"))), try Data(contentsOf: URL(fileURLWithPath: out("b.tflite"))))
        XCTAssertEqual(try mnconvert(f + "tflite/mobilenet_v1_0.25_128_c37.tflite", out("t.onnx"), "--samples", "2").status, 0)
        let checked = try runProcess(try Fixtures.python, ["Scripts/check-onnx.py", out("t.onnx"), "--input", keras,
                                                          "--expected", f + "tflite/mobilenet_v1_0.25_128_c37_output.npy"])
        XCTAssertEqual(checked.status, 0, "\(checked.stdout)\(checked.stderr)")
        XCTAssertEqual(try mnconvert("verify", f + "tflite/mobilenet_v1_0.25_128_c37.tflite", model, "--per-layer").status, 0)
    }

    /// TFLite files as users meet them: a full-integer model refused in one line with exit 2 and
    /// nothing written; a dynamic-range model converted with a note on LiteRT's hybrid kernels.
    func testQuantizedTFLiteFiles() throws {
        let refused = try mnconvert("Tests/Fixtures/tflite/mobilenet_v1_0.25_128_c37_int8.tflite", out("never.mnw"))
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("full-integer (quantized) model"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out("never.mnw")))
        let hybrid = try mnconvert("Tests/Fixtures/tflite/mobilenet_v1_0.25_128_c37_dynamic_range.tflite", out("dr.tflite"))
        XCTAssertEqual(hybrid.status, 0, hybrid.stderr)
        XCTAssertTrue(hybrid.stdout.contains("note: its int8 weights are dequantized"), hybrid.stdout)
    }

    /// `--junit` writes a report that a standard XML parser reads: a test case per output or per
    /// layer, a failure for each that disagrees, written also when the models disagree.
    func testJUnitReports() throws {
        let parse = """
            import sys, xml.etree.ElementTree as ET
            suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
            print(suite.get("tests"), suite.get("failures"), len(suite.findall("testcase")), len(suite.findall("testcase/failure")))
            print(*[c.get("name") for c in suite.findall("testcase")][:3])
            """
        let agree = try mnconvert("verify", "Examples/mobilenet_v1_0.25_128.onnx", "Examples/mobilenet_v1_0.25_128.onnx", "--samples", "1", "--junit", out("agree.xml"))
        XCTAssertEqual(agree.status, 0, agree.stderr)
        let parsed = try runProcess(try Fixtures.python, ["-c", parse, out("agree.xml")])
        XCTAssertEqual(parsed.stdout, "1 0 1 0\nIdentity:0\n", parsed.stderr)

        // Two MobileNets with other weights: every layer diverges.
        let layers = try mnconvert("verify", "Tests/Fixtures/keras/mobilenet_v1_0.25_128_c37.keras", "Tests/Fixtures/keras/mobilenet_v1_0.25_128_notop.keras",
                                   "--per-layer", "--samples", "1", "--junit", out("layers.xml"))
        XCTAssertEqual(layers.status, 3, layers.stdout + layers.stderr)
        let perLayer = try runProcess(try Fixtures.python, ["-c", parse, out("layers.xml")])
        let counts = perLayer.stdout.split(separator: "\n")[0].split(separator: " ").compactMap { Int($0) }
        XCTAssertEqual(counts.count, 4, perLayer.stdout + perLayer.stderr)
        XCTAssertEqual(counts[0], counts[2], "tests attribute = test cases")
        XCTAssertEqual(counts[1], counts[3], "failures attribute = failures")
        XCTAssertEqual(counts[0], 27, "a case per canonical layer the two share")
        XCTAssertEqual(counts[1], 27, "all diverge")
        XCTAssertTrue(perLayer.stdout.hasSuffix("conv1 conv_dw_1 conv_pw_1\n"), perLayer.stdout)

        let unwritable = try mnconvert("verify", "Examples/mobilenet_v1_0.25_128.onnx", "Examples/mobilenet_v1_0.25_128.onnx", "--samples", "1", "--junit", out("no/such/dir/r.xml"))
        XCTAssertEqual(unwritable.status, 4, unwritable.stderr)
    }

    func testTensorFlowGraphWithSeveralHeads() throws {
        let model = "Tests/Fixtures/tensorflow/slim_mobilenet_v1_0.25_128.pb"
        let ambiguous = try mnconvert(model, out("never.mnw"))
        XCTAssertEqual(ambiguous.status, 2)
        XCTAssertTrue(ambiguous.stderr.contains("choose with --output-node NAME (repeat it to keep several)"), ambiguous.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out("never.mnw")))
        let converted = try mnconvert(model, out("slim.mnw"), "--output-node", "final_result")
        XCTAssertEqual(converted.status, 0, converted.stderr)
        XCTAssertEqual(converted.stderr, "")
        // The old spelling still works, and says it is deprecated.
        let old = try mnconvert(model, out("slim-old.mnw"), "--output", "final_result", "--no-verify")
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertEqual(old.stderr, "mnconvert: warning: convert --output NAME is deprecated; write --output-node NAME (in run and verify, --output is a tensor file)\n")
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
        XCTAssertTrue(converted.stdout.contains("[1, 37]"), converted.stdout)
        let refused = try mnconvert("Tests/Fixtures/bad-keras/conv_dw_7_5x5_weights.h5", out("never.mnw"))
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(refused.stderr, "mnconvert: error: Tests/Fixtures/bad-keras/conv_dw_7_5x5_weights.h5: layer 'conv_dw_7': kernel has shape [5, 5, 128, 1], expected [3, 3, 128, 1]\n")
        XCTAssertEqual(try mnconvert("Examples/mobilenet_v1_0.25_128.onnx", out("x.mnw"), "--classifier-activation", "linear").status, 2,
                       "--classifier-activation describes Keras weights-only files")
    }

    /// A TF-slim graph retrained on its 1001 logits: the body and the original classifier, then a
    /// 1001 -> 2 head; converted within 1e-5 of TensorFlow, every layer of body and head compared.
    func testRetrainedHeadIsTheModelsHead() throws {
        let graph = "Tests/Fixtures/heads/slim_logits_retrained_0.25_128.pb"
        let info = try mnconvert("info", graph, "--output-node", "final_result", "--json")
        XCTAssertEqual(info.status, 0, info.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["alpha"] as? Double, 0.25)
        XCTAssertEqual(report["classes"] as? Int, 1001)
        let head = try XCTUnwrap(report["head"] as? [[String: Any]])
        XCTAssertEqual(head.map { $0["name"] as? String }, ["head_1", "head_2"])
        XCTAssertEqual(head.map { $0["op"] as? String }, ["dense", "softmax"])
        XCTAssertEqual(head.map { $0["source_name"] as? String }, ["final_retrain_ops/Wx_plus_b/MatMul", "final_result"])
        XCTAssertEqual(head[0]["params"] as? Int, 1001 * 2 + 2)
        XCTAssertEqual(head[0]["input"] as? [Int], [1001])
        XCTAssertEqual(head[0]["output"] as? [Int], [2])
        let outputs = try XCTUnwrap(report["outputs"] as? [[String: String]])
        XCTAssertEqual(outputs, [["name": "final_result", "from": "classifier"]])
        XCTAssertEqual(try mnconvert(graph, out("h.mnw"), "--output-node", "final_result").status, 0)
        let checked = try mnconvert("verify", out("h.mnw"), "--input", "Tests/Fixtures/keras-tf2onnx/input_nhwc.npy",
                                    "--expected", "Tests/Fixtures/heads/slim_logits_retrained_0.25_128_final_result.npy", "--tolerance", "1e-5")
        XCTAssertEqual(checked.status, 0, checked.stdout + checked.stderr)
        let perLayer = try mnconvert("verify", graph, out("h.mnw"), "--output-node", "final_result", "--per-layer")
        XCTAssertEqual(perLayer.status, 0, perLayer.stderr)
        XCTAssertTrue(perLayer.stdout.contains("head_2") && perLayer.stdout.contains("first divergence: none"), perLayer.stdout)
    }

    /// A Keras transfer-learning model (keras.applications' MobileNet nested in a functional model,
    /// a Dense head ending in a sigmoid) from `.keras`, legacy `.h5` and tf2onnx: each computes
    /// what Keras computed (1e-5 of range), converts, and `info` shows the body, then the head.
    func testTransferLearningModels() throws {
        let h = "Tests/Fixtures/heads/"
        for source in ["transfer_0.25_96.keras", "transfer_0.25_96.h5", "transfer_0.25_96.onnx"] {
            let direct = try mnconvert("verify", h + source, "--input", h + "input_96.npy", "--expected", h + "transfer_0.25_96_output.npy", "--tolerance", "1e-5")
            XCTAssertEqual(direct.status, 0, "\(source): \(direct.stdout)\(direct.stderr)")
            XCTAssertEqual(try mnconvert(h + source, out("t.mnw")).status, 0, source)
            let converted = try mnconvert("verify", out("t.mnw"), "--input", h + "input_96.npy", "--expected", h + "transfer_0.25_96_output.npy", "--tolerance", "1e-5")
            XCTAssertEqual(converted.status, 0, "\(source): \(converted.stdout)\(converted.stderr)")
            let info = try mnconvert("info", h + source, "--json")
            XCTAssertEqual(info.status, 0, "\(source): \(info.stderr)")
            let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(report["alpha"] as? Double, 0.25, source)
            XCTAssertEqual(report["resolution"] as? Int, 96, source)
            XCTAssertNil(report["classes"] as? Int, "\(source): the Dense layers are the head, not MobileNet's classifier")
            let head = try XCTUnwrap(report["head"] as? [[String: Any]])
            XCTAssertEqual(head.compactMap { $0["op"] as? String }.filter { $0 != "activation" }, ["dense", "dense", "sigmoid"], source)
            XCTAssertEqual(head.last?["output"] as? [Int], [3], source)
            let perLayer = try mnconvert("verify", h + source, out("t.mnw"), "--per-layer")
            XCTAssertTrue(perLayer.status == 0 && perLayer.stdout.contains("first divergence: none"), "\(source): \(perLayer.stdout)")
        }
        // Its weights alone do not say what the head is: refused, pointing at the full model.
        let weightsOnly = try mnconvert(h + "transfer_0.25_96.weights.h5", out("never.mnw"), "--resolution", "96")
        XCTAssertEqual(weightsOnly.status, 2)
        XCTAssertTrue(weightsOnly.stderr.contains("weights alone do not say what its other layers are; convert the .keras file"), weightsOnly.stderr)
    }

    /// An SSD-style detector with two outputs from Keras, ONNX, a frozen graph and TFLite: `run`
    /// writes both into an `.npz` that numpy reads, equal to Keras's within 1e-5 of range; `.mnw`,
    /// ONNX and TFLite keep both outputs and their names (LiteRT runs the TFLite file); one `.npy`
    /// for two outputs is a usage error.
    func testDetectorWithTwoOutputs() throws {
        let h = "Tests/Fixtures/heads/"
        let x = "Tests/Fixtures/keras-tf2onnx/input_nhwc.npy"
        let compare = """
            import sys, numpy as np
            z = np.load(sys.argv[1])
            keys = sys.argv[2].split(",")
            assert list(z.keys()) == keys, (list(z.keys()), keys)
            for key, reference in zip(keys, ["boxes", "scores"]):
                expected = np.load(f"Tests/Fixtures/heads/ssd_0.25_128_{reference}.npy")
                relative = np.abs(z[key] - expected).max() / np.abs(expected).max()
                assert relative < 1e-5, (key, relative)
            print("ok")
            """
        let sources: [(args: [String], keys: String)] = [
            ([h + "ssd_0.25_128.keras"], "boxes,scores"),
            ([h + "ssd_0.25_128.onnx"], "Identity:0,Identity_1:0"),
            ([h + "ssd_0.25_128.pb", "--output-node", "Identity", "--output-node", "Identity_1"], "Identity,Identity_1"),
        ]
        for (args, keys) in sources {
            let ran = try runProcess(try executable, ["run"] + args + ["--input", x, "--output", out("y.npz")])
            XCTAssertEqual(ran.status, 0, "\(args[0]): \(ran.stderr)")
            let checked = try runProcess(try Fixtures.python, ["-c", compare, out("y.npz"), keys])
            XCTAssertEqual(checked.status, 0, "\(args[0]): \(checked.stdout)\(checked.stderr)")
        }
        let tflite = try mnconvert("run", h + "ssd_0.25_128.tflite", "--input", x, "--output", out("t.npz"))
        XCTAssertEqual(tflite.status, 0, tflite.stderr)
        XCTAssertTrue(tflite.stdout.contains("[2, 240, 5]") && tflite.stdout.contains("[2, 240, 4]"), tflite.stdout)
        let single = try mnconvert("run", h + "ssd_0.25_128.keras", "--input", x, "--output", out("y.npy"))
        XCTAssertEqual(single.status, 64)
        XCTAssertTrue(single.stderr.contains("has 2 outputs (boxes, scores); write them to an .npz file"), single.stderr)
        for format in ["mnw", "onnx", "tflite"] {
            let converted = try mnconvert(h + "ssd_0.25_128.keras", out("ssd.\(format)"), "--samples", "2")
            XCTAssertEqual(converted.status, 0, "\(format): \(converted.stderr)")
            XCTAssertTrue(converted.stdout.contains("boxes [2, 240, 4]") && converted.stdout.contains("scores [2, 240, 5]"), converted.stdout)
        }
        let ran = try mnconvert("run", out("ssd.mnw"), "--input", x, "--output", out("m.npz"))
        XCTAssertEqual(ran.status, 0, ran.stderr)
        XCTAssertEqual(try runProcess(try Fixtures.python, ["-c", compare, out("m.npz"), "boxes,scores"]).status, 0)
        let litert = """
            import sys, numpy as np
            from ai_edge_litert.interpreter import Interpreter
            interpreter = Interpreter(model_path=sys.argv[1])
            x = np.load("Tests/Fixtures/keras-tf2onnx/input_nhwc.npy")
            spec = interpreter.get_input_details()[0]
            interpreter.resize_tensor_input(spec["index"], x.shape)
            interpreter.allocate_tensors()
            interpreter.set_tensor(spec["index"], x)
            interpreter.invoke()
            for detail in interpreter.get_output_details():
                expected = np.load(f"Tests/Fixtures/heads/ssd_0.25_128_{detail['name']}.npy")
                got = interpreter.get_tensor(detail["index"])
                assert np.abs(got - expected).max() / np.abs(expected).max() < 1e-5, detail["name"]
            print(sorted(d["name"] for d in interpreter.get_output_details()))
            """
        let lite = try runProcess(try Fixtures.python, ["-c", litert, out("ssd.tflite")])
        XCTAssertEqual(lite.status, 0, lite.stdout + lite.stderr)
        XCTAssertTrue(lite.stdout.contains("['boxes', 'scores']"), lite.stdout)
        let info = try mnconvert("info", h + "ssd_0.25_128.keras", "--json")
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        let outputs = try XCTUnwrap(report["outputs"] as? [[String: String]])
        XCTAssertEqual(outputs, [["name": "boxes", "from": "conv_pw_13"], ["name": "scores", "from": "conv_pw_13"]])
        let head = try XCTUnwrap(report["head"] as? [[String: Any]])
        XCTAssertEqual(head.filter { $0["op"] as? String == "conv" }.count, 4, "box and class convolutions on two taps")
        XCTAssertEqual(Set(head.compactMap { $0["input"] as? [Int] }.filter { $0.count == 3 }.map { $0[0] }), [8, 4], "conv_pw_11 (8x8) and conv_pw_13 (4x4)")
        let perLayer = try mnconvert("verify", h + "ssd_0.25_128.keras", out("ssd.mnw"), "--per-layer")
        XCTAssertTrue(perLayer.status == 0 && perLayer.stdout.contains("head_7") && perLayer.stdout.contains("first divergence: none"), perLayer.stdout)
    }

    /// A mutant of a legacy Keras `.h5` that `Scripts/fuzz.py` found (seed 1): libhdf5 loops on
    /// it. The child process that reads Keras files is stopped at `--import-timeout`, and the
    /// command ends with one line, exit 2, nothing written; a valid file goes through the same
    /// child unchanged.
    func testLibHDF5LoopingOnACorruptFileIsStopped() throws {
        let start = Date()
        let refused = try mnconvert("Tests/Fixtures/bad-keras/mutant_libhdf5_loops.h5", out("never.mnw"), "--import-timeout", "2")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(refused.stderr, "mnconvert: error: Tests/Fixtures/bad-keras/mutant_libhdf5_loops.h5: the HDF5 library did not finish reading it in 2 s; the file is likely corrupt (--import-timeout sets the limit)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out("never.mnw")))
        for command in [["info"], ["bench", "--runs", "1"], ["run", "--input", "Tests/Fixtures/keras-tf2onnx/input_nhwc.npy", "--output", out("y.npy")]] {
            let other = try runProcess(try executable, [command[0], "Tests/Fixtures/bad-keras/mutant_libhdf5_loops.h5"] + command.dropFirst() + ["--import-timeout", "1"])
            XCTAssertEqual(other.status, 2, "\(command[0]): \(other.stderr)")
            XCTAssertTrue(other.stderr.contains("did not finish reading it in 1 s"), other.stderr)
        }
        XCTAssertEqual(try mnconvert("Tests/Fixtures/keras/mobilenet_v1_0.25_128_c37_keras3_legacy.h5", out("ok.mnw"), "--import-timeout", "2").status, 0)
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

    func testVersion() throws {
        let version = try mnconvert("--version")
        XCTAssertEqual(version.status, 0)
        XCTAssertNotNil(version.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression), version.stdout)
        let converted = try mnconvert("Examples/mobilenet_v1_0.25_128.onnx", out("v.mnw"), "--no-verify")
        XCTAssertEqual(converted.status, 0, converted.stderr)
        let header = try String(decoding: Data(contentsOf: URL(fileURLWithPath: out("v.mnw"))).prefix(1 << 16), as: UTF8.self)
        XCTAssertTrue(header.contains("\"mnconvert_version\":\"\(version.stdout.dropLast())\""), "the .mnw metadata names the version")
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
        // Per layer too, in JSON when asked: every node once, the large depthwise layers on the
        // line of the pointwise layer they run fused with, and the lines adding up to the total.
        let layers = try mnconvert("bench", model, "--threads", "1", "--runs", "2", "--per-layer", "--json")
        XCTAssertEqual(layers.status, 0, layers.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(layers.stdout.utf8)) as? [String: Any], layers.stdout)
        let lines = try XCTUnwrap(report["layers"] as? [[String: Any]])
        XCTAssertEqual(report["threads"] as? Int, 1)
        XCTAssertEqual(lines.compactMap { $0["op"] as? String }.filter { $0 == "conv2d+conv2d" }.count, 3, "dw_1 (64x64), dw_2 and dw_3 (32x32): the depthwise outputs of 28 x 28 or more")
        let total = lines.compactMap { $0["ms"] as? Double }.reduce(0, +)
        XCTAssertEqual(total, try XCTUnwrap(report["total_ms"] as? Double), accuracy: 1e-6 * max(total, 1))
        XCTAssertEqual(lines.compactMap { $0["mult_adds"] as? Int }.reduce(0, +), result?["mult_adds"] as? Int)

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
