import GraphPasses
import InferenceCore
import MobileNetIR
import ONNXExport
import ONNXImport
import TestSupport
import XCTest

/// The ONNX writer on its own: round trips through mnconvert's importer, the versions it writes,
/// and the refusals. (Checks with onnx and onnxruntime are in CLITests.)
final class ONNXExportTests: XCTestCase {
    func canonical(_ fixture: String) throws -> Graph {
        Pipeline.run(try ONNXImporter.importGraph(from: try Fixtures.bytes(fixture))).graph
    }

    /// Exported at every opset, read back, and run: the same outputs as the graph it came from.
    func testRoundTripThroughTheImporterAtEveryOpset() throws {
        let graph = try canonical("pytorch-style/mobilenet_v1_0.25_128_c10_opset17.onnx")
        let x = try Fixtures.tensor("pytorch-style/input_nchw.npy")
        let expected = try Engine(graph: graph).run([graph.inputs[0].name: x])[graph.outputs[0]]!
        for opset in ONNXExporter.supportedOpsets {
            var options = ONNXExporter.Options()
            options.opset = opset
            let bytes = try ONNXExporter.serialize(graph, options: options)
            XCTAssertEqual(bytes, try ONNXExporter.serialize(graph, options: options), "opset \(opset): the same bytes twice")
            let back = Pipeline.run(try ONNXImporter.importGraph(from: bytes)).graph
            XCTAssertEqual(back.metadata.properties["onnx_opset"], "\(opset)")
            XCTAssertEqual(back.metadata.properties["onnx_ir_version"], "\(ONNXExporter.irVersion(opset: opset))")
            XCTAssertEqual(back.nodes.map(\.op.name), graph.nodes.map(\.op.name), "opset \(opset): the same canonical ops")
            let got = try Engine(graph: back).run([back.inputs[0].name: x])[back.outputs[0]]!
            assertClose(got, expected, tolerance: 1e-6, "opset \(opset)")
        }
    }

    /// ONNX's versioning table: the oldest IR version that carries each opset.
    func testIRVersionFollowsTheOpset() {
        XCTAssertEqual([11, 12, 13, 14, 15, 18, 19, 20, 21].map(ONNXExporter.irVersion(opset:)), [6, 7, 7, 7, 8, 8, 9, 9, 10])
    }

    func testRefusesWhatTheOpsetCannotSay() throws {
        let metadata = Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw)
        func softmax(coerced: Bool) -> Graph {
            Graph(inputs: [GraphInput(name: "x", shape: [1, 3, 4, 4], layout: .nchw)], outputs: ["y"],
                  nodes: [Node(name: "sm", op: .softmax(axis: 1, coerced: coerced), inputs: ["x"], outputs: ["y"])], constants: [:], metadata: metadata)
        }
        var options = ONNXExporter.Options()
        XCTAssertThrowsError(try ONNXExporter.serialize(softmax(coerced: true), options: options)) { error in
            XCTAssertEqual((error as? ONNXExportError)?.description,
                           "node 'sm': a softmax over every axis from 1 on is ONNX's Softmax before opset 13; write with --opset 12 or lower")
        }
        options.opset = 12
        XCTAssertNoThrow(try ONNXExporter.serialize(softmax(coerced: true), options: options))
        XCTAssertThrowsError(try ONNXExporter.serialize(softmax(coerced: false), options: options))
        options.opset = 9
        XCTAssertThrowsError(try ONNXExporter.serialize(softmax(coerced: false), options: options))

        let open = Graph(inputs: [GraphInput(name: "x", shape: [nil, 3, nil, nil], layout: .nchw)], outputs: ["y"],
                         nodes: [Node(name: "id", op: .identity, inputs: ["x"], outputs: ["y"])], constants: [:], metadata: metadata)
        XCTAssertThrowsError(try ONNXExporter.serialize(open)) { error in
            guard case .openInputSize = error as? ONNXExportError else { return XCTFail("\(error)") }
        }
    }
}
