import InferenceCore
import MobileNetIR
import TensorFlowImport
import TestSupport
import XCTest

/// The importer alone (no passes): imported graphs must compute what TensorFlow computed.
final class TensorFlowImportTests: XCTestCase {
    func importGraph(_ fixture: String, inputs: [String] = [], outputs: [String] = []) throws -> Graph {
        try TensorFlowImporter.importGraph(from: try Fixtures.bytes(fixture), options: .init(inputs: inputs, outputs: outputs))
    }

    /// Runs `graph` on an input in `layout`, returning every output by name.
    func run(_ graph: Graph, _ input: Tensor, layout: TensorLayout = .nhwc) throws -> [String: Tensor] {
        let declared = graph.inputs[0]
        return try Engine(graph: graph).run([declared.name: input.converted(from: layout, to: declared.layout ?? layout)])
    }

    let input = "keras-tf2onnx/input_nhwc.npy"

    func testKeras3FrozenGraphMatchesKeras() throws {
        let graph = try importGraph("tensorflow/keras3_mobilenet_v1_0.25_128_c37.pb")
        XCTAssertEqual(graph.inputs.map(\.name), ["input"])
        XCTAssertEqual(graph.inputs[0].shape, [nil, 128, 128, 3], "dynamic batch")
        XCTAssertEqual(graph.inputs[0].layout, .nhwc)
        XCTAssertEqual(graph.outputs, ["Identity"], "the sink, past the NoOp")
        let output = try run(graph, try Fixtures.tensor(input))["Identity"]!
        assertClose(output, try Fixtures.tensor("keras-tf2onnx/output_keras.npy"))
    }

    func testTF1FusedBatchNormGraphMatchesTensorFlow() throws {
        let graph = try importGraph("tensorflow/tf1_fused_mobilenet_v1_0.25_128.pb")
        XCTAssertEqual(graph.nodes.filter { $0.op == .batchNorm(epsilon: 1e-3) }.count, 27, "the model's own epsilon")
        let output = try run(graph, try Fixtures.tensor(input))[graph.outputs[0]]!
        assertClose(output, try Fixtures.tensor("tensorflow/tf1_fused_mobilenet_v1_0.25_128_predictions.npy"))
    }

    func testSlimGraphWithRetrainedHead() throws {
        let bytes = try Fixtures.bytes("tensorflow/slim_mobilenet_v1_0.25_128.pb")
        XCTAssertThrowsError(try TensorFlowImporter.importGraph(from: bytes)) {
            guard case .outputs(let message)? = $0 as? TensorFlowImportError else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("final_result") && message.contains("MobilenetV1/Predictions/Softmax"), message)
        }
        let x = try Fixtures.tensor(input)
        let retrained = try importGraph("tensorflow/slim_mobilenet_v1_0.25_128.pb", outputs: ["final_result"])
        XCTAssertEqual(retrained.inputs.map(\.name), ["input"], "the PlaceholderWithDefault takes its default")
        assertClose(try run(retrained, x)["final_result"]!, try Fixtures.tensor("tensorflow/slim_mobilenet_v1_0.25_128_final_result.npy"))
        let original = try importGraph("tensorflow/slim_mobilenet_v1_0.25_128.pb", outputs: ["MobilenetV1/Predictions/Softmax:0"])
        let probabilities = try run(original, x)["MobilenetV1/Predictions/Softmax"]!
        XCTAssertEqual(probabilities.shape, [2, 1001])
        assertClose(probabilities, try Fixtures.tensor("tensorflow/slim_mobilenet_v1_0.25_128_predictions.npy"))
        XCTAssertFalse(original.nodes.contains { $0.op == .dense }, "the retrained head is not part of this output")
    }

    func testFeedingTheBottleneckPlaceholder() throws {
        let graph = try importGraph("tensorflow/slim_mobilenet_v1_0.25_128.pb", inputs: ["input_1/BottleneckInputPlaceholder"], outputs: ["final_result"])
        XCTAssertEqual(graph.inputs.map(\.name), ["input_1/BottleneckInputPlaceholder"])
        XCTAssertEqual(graph.inputs[0].shape, [nil, 256])
        XCTAssertEqual(graph.nodes.filter { if case .conv2d = $0.op { true } else { false } }.count, 0, "only the head is left")
    }

    /// SAME and VALID convolutions, depthwise convolutions (multiplier 2) and pools over kernels 1
    /// and 3, strides 1 and 2, at even and odd sizes, against TensorFlow's own outputs.
    func testSamePaddingGridMatchesTensorFlow() throws {
        var names: [String] = []
        for k in [1, 3] { for s in [1, 2] { for padding in ["same", "valid"] { for op in ["conv", "depthwise", "avgpool", "maxpool"] {
            names.append("\(op)_k\(k)_s\(s)_\(padding)")
        } } } }
        let graph = try importGraph("tensorflow/same-padding/grid.pb", outputs: names)
        XCTAssertEqual(graph.inputs[0].shape, [nil, nil, nil, 4])
        for size in ["7x7", "8x8", "7x8", "9x6"] {
            let outputs = try run(graph, try Fixtures.tensor("tensorflow/same-padding/input_\(size).npy"))
            for name in names {
                let expected = try Fixtures.tensor("tensorflow/same-padding/\(name)_\(size).npy")
                let got = try XCTUnwrap(outputs[name], name)
                XCTAssertEqual(got.shape, expected.shape, "\(name) at \(size)")
                assertClose(got, expected, tolerance: 1e-5, "\(name) at \(size)")
            }
        }
    }

    func testNCHWDataFormat() throws {
        let graph = try importGraph("tensorflow/nchw/nchw_graph.pb")
        XCTAssertEqual(graph.inputs[0].layout, .nchw, "an input read by NCHW ops is NCHW")
        let output = try run(graph, try Fixtures.tensor("tensorflow/nchw/input_nchw.npy"), layout: .nchw)[graph.outputs[0]]!
        assertClose(output, try Fixtures.tensor("tensorflow/nchw/output_nchw.npy"), tolerance: 1e-5)
    }

    func testRefusalsNameTheNode() throws {
        func error(_ fixture: String, inputs: [String] = []) -> TensorFlowImportError? {
            do { _ = try importGraph(fixture, inputs: inputs); return nil } catch { return error as? TensorFlowImportError }
        }
        guard case .unsupportedAttribute("bn", "FusedBatchNormV3", let detail)? = error("bad-tensorflow/training_batch_norm.pb") else {
            return XCTFail("a training BatchNorm was accepted")
        }
        XCTAssertTrue(detail.contains("is_training"))
        XCTAssertEqual(error("bad-tensorflow/unsupported_op.pb"), .unsupportedOp(node: "tanh", op: "Tanh"))
        XCTAssertEqual(error("bad-tensorflow/variable_weight.pb", inputs: ["input"]), .nonConstantWeight(node: "conv", op: "Conv2D", input: "filter"))
        guard case .inputs(let message)? = error("bad-tensorflow/variable_weight.pb") else { return XCTFail("two placeholders accepted") }
        XCTAssertTrue(message.contains("--input-node"))
        // A node that is not there is named, with the option that chose it as users spell it now.
        do {
            _ = try importGraph("tensorflow/slim_mobilenet_v1_0.25_128.pb", outputs: ["no_such_node"])
            XCTFail("an output node that is not in the graph was accepted")
        } catch {
            XCTAssertEqual(error as? TensorFlowImportError, .outputs("the graph has no node 'no_such_node'; check --output-node"))
        }
        do {
            _ = try importGraph("tensorflow/slim_mobilenet_v1_0.25_128.pb", inputs: ["no_such_input"], outputs: ["final_result"])
            XCTFail("an input node that is not in the graph was accepted")
        } catch {
            XCTAssertEqual(error as? TensorFlowImportError, .inputs("the graph has no node 'no_such_input'; check --input-node"))
        }
    }

    /// A Squeeze whose axis is outside its rank-4 input (a fuzzed file: axis 36, which indexed past
    /// the NHWC-to-NCHW axis map and trapped) is refused, naming the node and the axis.
    func testAxesOutsideTheRankAreRefused() throws {
        var bytes = try Fixtures.bytes("tensorflow/tf1_fused_mobilenet_v1_0.25_128.pb")
        let key = Array("squeeze_dims".utf8)
        let at = try XCTUnwrap((0...(bytes.count - key.count)).first { Array(bytes[$0..<($0 + key.count)]) == key })
        // The attribute's value, AttrValue { list { i: [1, 2] } }: its packed ints, one byte each.
        let list = try XCTUnwrap((at..<(at + 40)).first { Array(bytes[$0..<($0 + 4)]) == [0x1A, 0x02, 0x01, 0x02] })
        bytes[list + 3] = 36
        XCTAssertThrowsError(try TensorFlowImporter.importGraph(from: bytes)) { error in
            guard case .unsupportedAttribute(_, "Squeeze", let detail)? = error as? TensorFlowImportError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(detail, "axis 36 is outside rank 4")
        }
    }

    func testDamagedBytesAreErrorsNotCrashes() throws {
        let bytes = try Fixtures.bytes("tensorflow/tf1_fused_mobilenet_v1_0.25_128.pb")
        for damaged in [[], Array(bytes.prefix(bytes.count / 2)), Array(bytes.prefix(bytes.count - 7)), Fixtures.noise(count: 20_000, seed: 5)] {
            XCTAssertThrowsError(try TensorFlowImporter.importGraph(from: damaged))
        }
        for offset in stride(from: 0, to: bytes.count, by: bytes.count / 40) {
            var flipped = bytes
            flipped[offset] ^= 0xFF
            _ = try? TensorFlowImporter.importGraph(from: flipped)
        }
    }
}
