import Foundation
import InferenceCore
import KerasImport
import MobileNetIR
import TestSupport
import XCTest

/// The importer alone (no passes), every Keras form against Keras's own outputs.
final class KerasImportTests: XCTestCase {
    let input = "keras-tf2onnx/input_nhwc.npy"

    func importModel(_ fixture: String, _ options: KerasImporter.Options = .init()) throws -> Graph {
        try KerasImporter.importModel(at: Fixtures.path(fixture), options: options)
    }

    func run(_ graph: Graph) throws -> Tensor {
        let declared = graph.inputs[0]
        let x = try Fixtures.tensor(input).converted(from: .nhwc, to: declared.layout ?? .nhwc)
        return try Engine(graph: graph).run([declared.name: x])[graph.outputs[0]]!
    }

    func testKeras3FormsMatchKeras() throws {
        let expected = try Fixtures.tensor("keras-tf2onnx/output_keras.npy")
        for (file, options) in [("mobilenet_v1_0.25_128_c37.keras", KerasImporter.Options()),
                                ("mobilenet_v1_0.25_128_c37_keras3_legacy.h5", .init()),
                                ("mobilenet_v1_0.25_128_c37.weights.h5", .init(resolution: 128))] {
            let graph = try importModel("keras/\(file)", options)
            XCTAssertEqual(graph.inputs[0].layout, .nhwc, file)
            XCTAssertEqual(graph.inputs[0].shape, [nil, 128, 128, 3], file)
            XCTAssertEqual(graph.metadata.sourceFormat, "keras")
            assertClose(try run(graph), expected, file)
        }
    }

    func testKeras2FormsMatchTFKeras() throws {
        let expected = try Fixtures.tensor("keras/output_tf_keras.npy")
        for (file, options) in [("mobilenet_v1_0.25_128_c37_keras2.h5", KerasImporter.Options()),
                                ("mobilenet_v1_0.25_128_c37_keras2_weights.h5", .init(resolution: 128))] {
            let graph = try importModel("keras/\(file)", options)
            XCTAssertTrue(graph.nodes.contains { $0.op == .batchNorm(epsilon: 1e-3) }, "Keras's epsilon")
            assertClose(try run(graph), expected, file)
        }
    }

    func testWeightsOnlyFilesTakeAnyResolution() throws {
        let graph = try importModel("keras/mobilenet_v1_0.25_128_c37.weights.h5")
        XCTAssertEqual(graph.inputs[0].shape, [nil, 224, 224, 3], "224 unless told otherwise")
        // MobileNet is fully convolutional up to the pool: the 224 graph runs the 128 input exactly.
        assertClose(try run(graph), try Fixtures.tensor("keras-tf2onnx/output_keras.npy"))
    }

    func testClassifierActivationCanBeLogits() throws {
        let softmax = try importModel("keras/mobilenet_v1_0.25_128_c37_keras2_weights.h5")
        let linear = try importModel("keras/mobilenet_v1_0.25_128_c37_keras2_weights.h5", .init(classifierActivation: .linear))
        XCTAssertEqual(softmax.nodes.filter { if case .softmax = $0.op { true } else { false } }.count, 1)
        XCTAssertEqual(linear.nodes.filter { if case .softmax = $0.op { true } else { false } }.count, 0)
    }

    func testNoTopModelReturnsTheLastFeatureMap() throws {
        let graph = try importModel("keras/mobilenet_v1_0.25_128_notop.keras")
        let output = try run(graph)
        XCTAssertEqual(output.shape, [2, 4, 4, 256], "channels-last, as Keras returns it")
        assertClose(output, try Fixtures.tensor("keras/output_notop.npy"))
    }

    func testDepthMultiplierTwoFromWeightsAlone() throws {
        let graph = try importModel("keras/mobilenet_v1_0.25_128_dm2_c11.weights.h5", .init(resolution: 128))
        let depthwise = graph.nodes.compactMap { if case .conv2d(let c) = $0.op, c.groups > 1 { $0 } else { nil } }
        XCTAssertEqual(depthwise.count, 13)
        XCTAssertEqual(graph.constants[depthwise[0].inputs[1]]?.shape, [16, 1, 3, 3], "8 channels x multiplier 2")
        assertClose(try run(graph), try Fixtures.tensor("keras/output_dm2.npy"))
    }

    func testRefusalsNameTheLayer() throws {
        func error(_ fixture: String) -> KerasImportError? {
            do { _ = try importModel(fixture); return nil } catch { return error as? KerasImportError }
        }
        XCTAssertEqual(error("bad-keras/leaky_relu.keras"), .unsupportedLayer(layer: "leaky", className: "LeakyReLU"))
        XCTAssertEqual(error("bad-keras/conv_dw_7_5x5_weights.h5"),
                       .shapeMismatch(layer: "conv_dw_7", detail: "kernel has shape [5, 5, 128, 1], expected [3, 3, 128, 1]"))
        guard case .missingWeights("bn", let detail)? = error("bad-keras/missing_weight.h5") else { return XCTFail("missing weight accepted") }
        XCTAssertTrue(detail.contains("moving_mean"))
        guard case .notKeras? = error("hdf5/strings_and_datasets.h5") else { return XCTFail("a plain HDF5 file accepted") }
    }

    func testDamagedFilesAreErrorsNotCrashes() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for fixture in ["keras/mobilenet_v1_0.25_128_c37.keras", "keras/mobilenet_v1_0.25_128_c37_keras2.h5",
                        "keras/mobilenet_v1_0.25_128_c37.weights.h5"] {
            let bytes = try Fixtures.bytes(fixture)
            for (label, damaged) in [("half", Array(bytes.prefix(bytes.count / 2))), ("head", Array(bytes.prefix(2048))),
                                     ("noise", Array(bytes.prefix(8)) + Fixtures.noise(count: 30_000, seed: 9))] {
                let path = directory.appendingPathComponent("\(label)-\(URL(fileURLWithPath: fixture).lastPathComponent)").path
                _ = FileManager.default.createFile(atPath: path, contents: Data(damaged))
                XCTAssertThrowsError(try KerasImporter.importModel(at: path), "\(label) of \(fixture)")
            }
        }
    }

    func testSnakeCaseMatchesKerasNames() {
        XCTAssertEqual(KerasWeightsNaming.snakeCase("DepthwiseConv2D"), "depthwise_conv2d")
        XCTAssertEqual(KerasWeightsNaming.snakeCase("ReLU"), "re_lu")
        XCTAssertEqual(KerasWeightsNaming.snakeCase("BatchNormalization"), "batch_normalization")
        XCTAssertEqual(KerasWeightsNaming.snakeCase("GlobalAveragePooling2D"), "global_average_pooling2d")
        XCTAssertEqual(KerasWeightsNaming.snakeCase("InputLayer"), "input_layer")
    }
}
