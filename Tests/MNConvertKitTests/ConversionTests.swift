import Foundation
import MNConvertKit
import MNWFormat
import MobileNetIR
import TensorIO
import TestSupport
import XCTest

/// The use cases end to end, on the real exports.
final class ConversionTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func out(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func testConvertedModelsMatchTheirFrameworks() throws {
        let cases: [(model: String, input: String, expected: String)] = [
            ("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset9.onnx", "keras-tf2onnx/input_nhwc.npy", "keras-tf2onnx/output_keras.npy"),
            ("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset13.onnx", "keras-tf2onnx/input_nhwc.npy", "keras-tf2onnx/output_keras.npy"),
            ("pytorch-style/mobilenet_v1_0.25_128_c10_opset7.onnx", "pytorch-style/input_nchw.npy",
             "pytorch-style/mobilenet_v1_0.25_128_c10_opset7_output_onnxruntime.npy"),
            ("pytorch-style/mobilenet_v1_0.25_128_c10_opset17.onnx", "pytorch-style/input_nchw.npy",
             "pytorch-style/mobilenet_v1_0.25_128_c10_opset17_output_onnxruntime.npy"),
        ]
        for (model, input, expected) in cases {
            let mnw = out("model.mnw")
            let result = try Conversion.convert(Fixtures.path(model), to: mnw, options: .init())
            let report = try XCTUnwrap(result.verification)
            XCTAssertTrue(report.agrees, model)
            XCTAssertLessThan(report.outputs[0].metrics.relativeToRange, 1e-5, model)
            let reference = try Fixtures.tensor(expected)
            for source in [Fixtures.path(model), mnw] {
                let y = try Execution.run(model: source, input: Fixtures.path(input), output: out("y.npy"), layout: nil)[0].tensor
                assertClose(y, reference, "\(source)")
                assertClose(try TensorFile.read(out("y.npy")), reference, "written \(source)")
            }
        }
    }

    func testConvertedTensorFlowGraphsMatchTensorFlow() throws {
        let input = Fixtures.path("keras-tf2onnx/input_nhwc.npy")
        let cases: [(model: String, output: String?, expected: String)] = [
            ("tensorflow/keras3_mobilenet_v1_0.25_128_c37.pb", nil, "keras-tf2onnx/output_keras.npy"),
            ("tensorflow/tf1_fused_mobilenet_v1_0.25_128.pb", nil, "tensorflow/tf1_fused_mobilenet_v1_0.25_128_predictions.npy"),
            ("tensorflow/slim_mobilenet_v1_0.25_128.pb", "final_result", "tensorflow/slim_mobilenet_v1_0.25_128_final_result.npy"),
            ("tensorflow/slim_mobilenet_v1_0.25_128.pb", "MobilenetV1/Predictions/Softmax", "tensorflow/slim_mobilenet_v1_0.25_128_predictions.npy"),
        ]
        for (model, output, expected) in cases {
            var options = Conversion.Options()
            options.selection = ImportOptions(outputs: output.map { [$0] } ?? [])
            let mnw = out("model.mnw")
            let result = try Conversion.convert(Fixtures.path(model), to: mnw, options: options)
            XCTAssertTrue(try XCTUnwrap(result.verification).agrees, model)
            XCTAssertEqual(result.graph.metadata.sourceInputLayout, .nhwc)
            XCTAssertTrue(result.graph.nodes.allSatisfy { $0.op.name != "batch_norm" && $0.op.name != "affine" }, "\(model): every BatchNorm folded")
            let reference = try Fixtures.tensor(expected)
            let sourceOutput = try Execution.run(model: Fixtures.path(model), input: input, output: out("y.npy"), layout: nil,
                                                 selection: options.selection)[0].tensor
            assertClose(sourceOutput, reference, model)
            assertClose(try Execution.run(model: mnw, input: input, output: out("y.npy"), layout: nil)[0].tensor, reference, "\(model) as .mnw")
        }
    }

    func testConvertedKerasFilesMatchKeras() throws {
        let input = Fixtures.path("keras-tf2onnx/input_nhwc.npy")
        let cases: [(model: String, resolution: Int?, expected: String)] = [
            ("keras/mobilenet_v1_0.25_128_c37.keras", nil, "keras-tf2onnx/output_keras.npy"),
            ("keras/mobilenet_v1_0.25_128_c37.weights.h5", 128, "keras-tf2onnx/output_keras.npy"),
            ("keras/mobilenet_v1_0.25_128_c37_keras3_legacy.h5", nil, "keras-tf2onnx/output_keras.npy"),
            ("keras/mobilenet_v1_0.25_128_c37_keras2.h5", nil, "keras/output_tf_keras.npy"),
            ("keras/mobilenet_v1_0.25_128_c37_keras2_weights.h5", 128, "keras/output_tf_keras.npy"),
            ("keras/mobilenet_v1_0.25_128_notop.keras", nil, "keras/output_notop.npy"),
            ("keras/mobilenet_v1_0.25_128_dm2_c11.weights.h5", nil, "keras/output_dm2.npy"),
        ]
        for (model, resolution, expected) in cases {
            var options = Conversion.Options()
            options.selection.resolution = resolution
            let mnw = out("model.mnw")
            let result = try Conversion.convert(Fixtures.path(model), to: mnw, options: options)
            XCTAssertTrue(try XCTUnwrap(result.verification).agrees, model)
            XCTAssertTrue(result.graph.nodes.allSatisfy { $0.op.name != "batch_norm" }, "\(model): every BatchNorm folded")
            let reference = try Fixtures.tensor(expected)
            assertClose(try Execution.run(model: Fixtures.path(model), input: input, output: out("y.npy"), layout: nil)[0].tensor, reference, model)
            assertClose(try Execution.run(model: mnw, input: input, output: out("y.npy"), layout: nil)[0].tensor, reference, "\(model) as .mnw")
        }
    }

    func testTheMNWInputTakesTheSourceLayoutByDefaultAndNCHWOnRequest() throws {
        let mnw = out("model.mnw")
        _ = try Conversion.convert(Fixtures.path("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset13.onnx"), to: mnw, options: .init())
        let nhwc = try Fixtures.tensor("keras-tf2onnx/input_nhwc.npy")
        let nchwPath = out("input_nchw.npy")
        try TensorFile.write(nhwc.converted(from: .nhwc, to: .nchw), to: nchwPath, name: "input")
        let y = try Execution.run(model: mnw, input: nchwPath, output: out("y.pb"), layout: .nchw)[0].tensor
        assertClose(y, try Fixtures.tensor("keras-tf2onnx/output_keras.npy"))
        assertClose(try TensorFile.read(out("y.pb")), y, tolerance: 0)
    }

    func testConvertingTwiceGivesIdenticalBytes() throws {
        let source = Fixtures.path("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset9.onnx")
        _ = try Conversion.convert(source, to: out("a.mnw"), options: .init())
        _ = try Conversion.convert(source, to: out("b.mnw"), options: .init())
        XCTAssertEqual(FileManager.default.contents(atPath: out("a.mnw")), FileManager.default.contents(atPath: out("b.mnw")))
    }

    func testBadInputsAreInputErrorsAndWriteNothing() throws {
        let valid = try Fixtures.bytes("pytorch-style/mobilenet_v1_0.25_128_c10_opset17.onnx")
        let noise = Fixtures.noise(count: 50_000, seed: 7)
        let written: [(String, [UInt8])] = [
            ("empty.onnx", []), ("truncated.onnx", Array(valid.prefix(valid.count * 2 / 3))),
            ("random.onnx", noise), ("text.onnx", Array("hello\n".utf8)),
        ]
        var paths = written.map { name, bytes in
            let path = out(name)
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            return path
        }
        let graphDef = try Fixtures.bytes("tensorflow/tf1_fused_mobilenet_v1_0.25_128.pb")
        let truncatedGraph = out("truncated.pb")
        _ = FileManager.default.createFile(atPath: truncatedGraph, contents: Data(graphDef.prefix(graphDef.count / 2)))
        paths.append(truncatedGraph)
        for fixture in ["keras/mobilenet_v1_0.25_128_c37.keras", "keras/mobilenet_v1_0.25_128_c37_keras2.h5"] {
            let bytes = try Fixtures.bytes(fixture)
            let truncated = out("truncated-" + URL(fileURLWithPath: fixture).lastPathComponent)
            _ = FileManager.default.createFile(atPath: truncated, contents: Data(bytes.prefix(bytes.count / 2)))
            paths.append(truncated)
        }
        paths += ["bad-keras/leaky_relu.keras", "bad-keras/missing_weight.h5", "bad-keras/conv_dw_7_5x5_weights.h5",
                  "hdf5/strings_and_datasets.h5"].map(Fixtures.path)
        paths += ["bad-tensorflow/training_batch_norm.pb", "bad-tensorflow/unsupported_op.pb", "bad-tensorflow/variable_weight.pb",
                  "tensorflow/slim_mobilenet_v1_0.25_128.pb"].map(Fixtures.path)
        paths += ["bad-onnx/unsupported_op.onnx", "bad-onnx/nan_weight.onnx", "bad-onnx/absurd_dims.onnx", "bad-onnx/absurd_input.onnx",
                  "bad-onnx/opset_99.onnx", "bad-onnx/reflect_pad.onnx", "bad-onnx/external_data.onnx",
                  "keras-tf2onnx/input_nhwc.npy"].map(Fixtures.path)
        paths.append(out("does-not-exist.onnx"))
        paths.append(directory.path)
        for path in paths {
            let target = out("never.mnw")
            XCTAssertThrowsError(try Conversion.convert(path, to: target, options: .init()), path) { error in
                guard case .input(let named, let message)? = error as? MNConvertError else { return XCTFail("\(path): \(error)") }
                XCTAssertEqual(named, path)
                XCTAssertFalse(message.contains("\n"), "one line: \(message)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: target), path)
        }
    }

    func testVerifyComparesTwoModelsAndCatchesAChangedWeight() throws {
        let source = Fixtures.path("pytorch-style/mobilenet_v1_0.25_128_c10_opset17.onnx")
        let mnw = out("model.mnw")
        _ = try Conversion.convert(source, to: mnw, options: .init())
        XCTAssertTrue(try Execution.verify(reference: source, candidate: mnw, samples: 2, seed: 1, tolerance: 1e-4).agrees)

        var graph = try MNWFile.read(contentsOf: mnw)
        let weight = graph.nodes[5].inputs[1]
        graph.constants[weight]!.data = graph.constants[weight]!.data.map { $0 * 1.05 }
        let changed = out("changed.mnw")
        try MNWFile.write(graph, to: changed)
        let report = try Execution.verify(reference: source, candidate: changed, samples: 2, seed: 1, tolerance: 1e-4)
        XCTAssertFalse(report.agrees)
        XCTAssertGreaterThan(report.outputs[0].metrics.relativeToRange, 1e-4)
    }

    func testVerifyAgainstExpectedOutputs() throws {
        let report = try Execution.verify(
            model: Fixtures.path("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset13.onnx"),
            input: Fixtures.path("keras-tf2onnx/input_nhwc.npy"), expected: Fixtures.path("keras-tf2onnx/output_keras.npy"),
            layout: nil, tolerance: 1e-4)
        XCTAssertTrue(report.agrees)
        XCTAssertEqual(report.outputs[0].metrics.top1Agreement, 2)
    }

    func testFormatDetectionByContent() throws {
        XCTAssertEqual(ModelFormat.detect(try Fixtures.bytes("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset9.onnx")), .onnx)
        XCTAssertEqual(ModelFormat.detect(try Fixtures.bytes("onnx-backend/test_ReLU/model.onnx")), .onnx)
        XCTAssertEqual(ModelFormat.detect(try Fixtures.bytes("hdf5/tiny_keras3_legacy.h5")), .hdf5)
        for graph in ["keras3_mobilenet_v1_0.25_128_c37", "tf1_fused_mobilenet_v1_0.25_128", "slim_mobilenet_v1_0.25_128", "same-padding/grid"] {
            XCTAssertEqual(ModelFormat.detect(try Fixtures.bytes("tensorflow/\(graph).pb")), .tensorflowGraphDef, graph)
        }
        XCTAssertEqual(ModelFormat.detect([0x50, 0x4B, 0x03, 0x04, 0, 0]), .kerasZip)
        XCTAssertEqual(ModelFormat.detect(try Fixtures.bytes("keras/mobilenet_v1_0.25_128_c37.keras")), .kerasZip)
        XCTAssertEqual(ModelFormat.detect(try Fixtures.bytes("keras/mobilenet_v1_0.25_128_c37.weights.h5")), .hdf5)
        // A GraphDef: field 1 (NodeDef) holding name "x" and op "Const".
        XCTAssertEqual(ModelFormat.detect([0x0A, 0x0A, 0x0A, 0x01, 0x78, 0x12, 0x05] + Array("Const".utf8)), .tensorflowGraphDef)
        XCTAssertNil(ModelFormat.detect([]))
        XCTAssertNil(ModelFormat.detect(Array("not a model".utf8)))
        XCTAssertNil(ModelFormat.detect(try Fixtures.bytes("keras-tf2onnx/input_nhwc.npy")))
        // Truncated files keep their kind, so their importer can say they are truncated.
        let onnx = try Fixtures.bytes("pytorch-style/mobilenet_v1_0.25_128_c10_opset17.onnx")
        XCTAssertEqual(ModelFormat.detect(Array(onnx.prefix(onnx.count / 2))), .onnx)
        let graph = try Fixtures.bytes("tensorflow/tf1_fused_mobilenet_v1_0.25_128.pb")
        XCTAssertEqual(ModelFormat.detect(Array(graph.prefix(graph.count / 2))), .tensorflowGraphDef)
    }
}
