import InferenceCore
import MobileNetIR
import ONNXImport
import TestSupport
import XCTest

/// The importer alone (no passes): the imported graph must compute what the producing framework
/// computed, on the framework's own reference outputs.
final class ONNXImportTests: XCTestCase {
    func importGraph(_ fixture: String) throws -> Graph {
        try ONNXImporter.importGraph(from: try Fixtures.bytes(fixture))
    }

    func run(_ graph: Graph, _ input: Tensor, layout: TensorLayout) throws -> Tensor {
        let declared = graph.inputs[0]
        let fed = input.converted(from: layout, to: declared.layout ?? layout)
        return try Engine(graph: graph).run([declared.name: fed])[graph.outputs[0]]!
    }

    func testTF2ONNXExportsMatchKeras() throws {
        let input = try Fixtures.tensor("keras-tf2onnx/input_nhwc.npy")
        let expected = try Fixtures.tensor("keras-tf2onnx/output_keras.npy")
        for opset in [9, 13] {
            let graph = try importGraph("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset\(opset).onnx")
            XCTAssertEqual(graph.inputs[0].layout, .nhwc, "tf2onnx's input feeds a Transpose to NCHW")
            XCTAssertEqual(graph.metadata.sourceInputLayout, .nhwc)
            XCTAssertEqual(graph.metadata.properties["onnx_opset"], "\(opset)")
            XCTAssertTrue(graph.metadata.producer.hasPrefix("tf2onnx"))
            assertClose(try run(graph, input, layout: .nhwc), expected, "opset \(opset)")
        }
    }

    func testPyTorchStyleModelsMatchONNXRuntime() throws {
        let input = try Fixtures.tensor("pytorch-style/input_nchw.npy")
        for opset in [7, 17] {
            let name = "pytorch-style/mobilenet_v1_0.25_128_c10_opset\(opset)"
            let graph = try importGraph(name + ".onnx")
            XCTAssertEqual(graph.inputs.map(\.name), ["input"], "initializers listed as inputs are not inputs")
            XCTAssertEqual(graph.inputs[0].shape, [nil, 3, 128, 128])
            XCTAssertEqual(graph.inputs[0].layout, .nchw)
            assertClose(try run(graph, input, layout: .nchw), try Fixtures.tensor(name + "_output_onnxruntime.npy"), "opset \(opset)")
        }
    }

    func testClipBecomesReLU6InBothForms() throws {
        for opset in [7, 17] {  // Clip with min/max attributes (opset 7) and as inputs (opset 17)
            let graph = try importGraph("pytorch-style/mobilenet_v1_0.25_128_c10_opset\(opset).onnx")
            let activations = graph.nodes.compactMap { if case .activation(let a) = $0.op { a } else { nil } }
            XCTAssertEqual(activations.count, 27)
            XCTAssertTrue(activations.allSatisfy { $0 == .relu6 }, "opset \(opset): \(Set(activations.map { "\($0)" }))")
        }
    }

    func testSoftmaxSemanticsFollowTheOpset() throws {
        let old = try importGraph("pytorch-style/mobilenet_v1_0.25_128_c10_opset7.onnx")
        XCTAssertEqual(old.nodes.last?.op, .softmax(axis: 1, coerced: true))
        let new = try importGraph("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset13.onnx")
        XCTAssertEqual(new.nodes.last?.op, .softmax(axis: -1, coerced: false))
    }

    func testShapeSubgraphBecomesAConstantReshape() throws {
        // tf2onnx writes Keras's Reshape((classes,)) as Shape -> Gather -> Cast -> Slice -> Concat -> Reshape.
        let bytes = Array(try Data(contentsOf: Fixtures.root.appendingPathComponent("Examples/mobilenet_v1_0.25_128.onnx")))
        let graph = try ONNXImporter.importGraph(from: bytes)
        XCTAssertTrue(graph.nodes.contains { $0.op == .reshape(shape: [0, 1000]) }, "\(graph.nodes.map(\.op.name))")
    }

    /// The conformance cases PyTorch made, as shipped in the onnx package.
    func testPyTorchConformanceCases() throws {
        var checked = 0
        for name in try Fixtures.backendCases() where name != "test_ReflectionPad2d" {
            let graph = try importGraph("onnx-backend/\(name)/model.onnx")
            XCTAssertEqual(graph.metadata.properties["onnx_opset"], "6")
            let input = try Fixtures.tensor("onnx-backend/\(name)/test_data_set_0/input_0.pb")
            let expected = try Fixtures.tensor("onnx-backend/\(name)/test_data_set_0/output_0.pb")
            let output = try Engine(graph: graph).run([graph.inputs[0].name: input])[graph.outputs[0]]!
            XCTAssertEqual(output.shape, expected.shape, name)
            assertClose(output, expected, tolerance: 1e-5, name)
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 20)
    }

    func testRefusalsNameTheProblem() throws {
        func error(_ fixture: String) -> ONNXImportError? {
            do { _ = try importGraph(fixture); return nil } catch { return error as? ONNXImportError }
        }
        XCTAssertEqual(error("bad-onnx/unsupported_op.onnx"), .unsupportedOp(node: "leaky", opType: "LeakyRelu", opset: 13))
        XCTAssertEqual(error("bad-onnx/nan_weight.onnx"), .nonFiniteWeight(name: "w", index: 46))  // element [1, 2, 0, 1]
        XCTAssertEqual(error("bad-onnx/opset_99.onnx"), .unsupportedOpset(99))
        XCTAssertEqual(error("bad-onnx/external_data.onnx"), .tensor(.externalData(name: "w")))
        guard case .tensor(.invalidTensor(let name, _))? = error("bad-onnx/absurd_dims.onnx") else { return XCTFail("absurd dims accepted") }
        XCTAssertEqual(name, "w")
        guard case .unsupportedAttribute(let node, "Pad", let detail)? = error("onnx-backend/test_ReflectionPad2d/model.onnx") ?? error("bad-onnx/reflect_pad.onnx") else {
            return XCTFail("reflect padding accepted")
        }
        XCTAssertFalse(node.isEmpty)
        XCTAssertTrue(detail.contains("reflect"))
    }

    func testDamagedBytesAreErrorsNotCrashes() throws {
        let bytes = try Fixtures.bytes("pytorch-style/mobilenet_v1_0.25_128_c10_opset17.onnx")
        let noise = Fixtures.noise(count: 10_000, seed: 12345)
        let cases: [[UInt8]] = [
            [],
            Array(bytes.prefix(1)),
            Array(bytes.prefix(bytes.count / 2)),
            Array(bytes.prefix(bytes.count - 1)),
            noise,
            Array("this is not a model at all".utf8),
        ]
        for (index, damaged) in cases.enumerated() {
            XCTAssertThrowsError(try ONNXImporter.importGraph(from: damaged), "case \(index)") {
                XCTAssertNotNil($0 as? ONNXImportError, "case \(index): \($0)")
            }
        }
        // Flipped bytes anywhere: an error or a valid graph, never a crash.
        for offset in stride(from: 0, to: bytes.count, by: bytes.count / 50) {
            var flipped = bytes
            flipped[offset] ^= 0xFF
            _ = try? ONNXImporter.importGraph(from: flipped)
        }
    }
}
