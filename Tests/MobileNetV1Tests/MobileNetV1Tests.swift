import GraphPasses
import MobileNetIR
import MobileNetV1
import ONNXImport
import TestSupport
import XCTest

final class MobileNetV1Tests: XCTestCase {
    /// A canonical MobileNetV1 as the passes leave it, with keras.applications' channel rule
    /// `int(c * alpha)`: stem, 13 depthwise-separable blocks, pool, 1x1 classifier with bias, softmax.
    func mobileNet(alpha: Double, resolution: Int?, classes: Int? = 1000, depthwise7Kernel: Int = 3) -> Graph {
        var nodes: [Node] = [], constants: [String: Tensor] = [:]
        var value = "input"
        func conv(_ name: String, _ shape: [Int], stride: Int, groups: Int, bias: Bool = true, padding: Padding = .sameUpper) {
            constants["\(name)/w"] = Tensor(shape: shape, repeating: 0.01)
            var inputs = [value, "\(name)/w"]
            if bias {
                constants["\(name)/b"] = Tensor(shape: [shape[0]], repeating: 0)
                inputs.append("\(name)/b")
            }
            nodes.append(Node(name: name, op: .conv2d(Conv2D(stride: [stride, stride], padding: padding, groups: groups, activation: .relu6)),
                              inputs: inputs, outputs: [name]))
            value = name
        }
        let c = { (n: Int) in Int(Double(n) * alpha) }
        conv("stem", [c(32), 3, 3, 3], stride: 2, groups: 1)
        var channels = c(32)
        for (i, (filters, stride)) in zip(MobileNetV1Recognizer.strides, [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024])
            .map({ ($1, $0) }).enumerated() {
            let k = i == 6 ? depthwise7Kernel : 3
            conv("dw\(i + 1)", [channels, 1, k, k], stride: stride, groups: channels)
            conv("pw\(i + 1)", [c(filters), channels, 1, 1], stride: 1, groups: 1)
            channels = c(filters)
        }
        if let classes {
            nodes.append(Node(name: "pool", op: .globalAveragePool, inputs: [value], outputs: ["pool"]))
            value = "pool"
            constants["fc/w"] = Tensor(shape: [classes, channels, 1, 1], repeating: 0.01)
            constants["fc/b"] = Tensor(shape: [classes], repeating: 0)
            nodes.append(Node(name: "fc", op: .conv2d(Conv2D()), inputs: [value, "fc/w", "fc/b"], outputs: ["fc"]))
            nodes.append(Node(name: "flat", op: .reshape(shape: [0, -1]), inputs: ["fc"], outputs: ["flat"]))
            nodes.append(Node(name: "prob", op: .softmax(axis: -1, coerced: false), inputs: ["flat"], outputs: ["prob"]))
            value = "prob"
        }
        return Graph(inputs: [GraphInput(name: "input", shape: [nil, 3, resolution, resolution], layout: .nchw)], outputs: [value],
                     nodes: nodes, constants: constants, metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
    }

    func costs(_ graph: Graph, resolution: Int) throws -> CostReport {
        guard case .success(let model) = MobileNetV1Recognizer.recognize(graph) else { throw XCTSkip("not recognised") }
        return try CostReport(model: model, graph: graph, resolution: resolution)
    }

    /// Howard et al. 2017, tables 6 and 7: mult-adds (millions) and parameters (millions), each to
    /// the precision the paper prints. The paper's other resolutions scale the 224 count by rho^2
    /// (`paperMultAdds`); the exact count at that resolution is within 1 % of it.
    func testReproducesThePapersTable() throws {
        let paper: [(alpha: Double, resolution: Int, multAdds: Double, params: Double?, paramsDigits: Int)] = [
            (1.0, 224, 569, 4.2, 1), (0.75, 224, 325, 2.6, 1), (0.5, 224, 149, 1.3, 1), (0.25, 224, 41, 0.5, 1),
            (1.0, 192, 418, 4.2, 1), (1.0, 160, 290, 4.2, 1), (1.0, 128, 186, 4.2, 1), (0.5, 160, 76, 1.32, 2),
        ]
        for row in paper {
            let report = try costs(mobileNet(alpha: row.alpha, resolution: row.resolution), resolution: row.resolution)
            let label = "\(row.alpha)-\(row.resolution)"
            XCTAssertEqual(report.alpha, row.alpha, label)
            XCTAssertEqual(report.resolution, row.resolution)
            XCTAssertEqual(report.classes, 1000)
            let paper = Double(try XCTUnwrap(report.paperMultAdds)) / 1e6, exact = Double(report.multAdds) / 1e6
            XCTAssertEqual(paper.rounded(), row.multAdds, "\(label): \(paper) M mult-adds in the paper's convention")
            XCTAssertLessThan(abs(paper - row.multAdds) / row.multAdds, 0.001 + 0.5 / row.multAdds, label)
            XCTAssertLessThan(abs(exact - row.multAdds) / row.multAdds, 0.01, "\(label): \(exact) M mult-adds counted exactly")
            if let params = row.params {
                let scale = pow(10.0, Double(row.paramsDigits))
                XCTAssertEqual((Double(report.params) / 1e6 * scale).rounded() / scale, params, "\(label): \(report.params) parameters")
            }
        }
        // The exact counts of 1.0-224: 568.7 M mult-adds and 4.21 M parameters (weights plus the classifier's bias).
        let full = try costs(mobileNet(alpha: 1, resolution: 224), resolution: 224)
        XCTAssertEqual(full.multAdds, 568_740_352)
        XCTAssertEqual(full.params, 4_210_088)
    }

    func testEveryAlphaAndResolution() throws {
        for alpha in [1.0, 0.75, 0.5, 0.25] {
            for resolution in [224, 192, 160, 128] {
                let report = try costs(mobileNet(alpha: alpha, resolution: resolution), resolution: resolution)
                XCTAssertEqual(report.alpha, alpha)
                XCTAssertEqual(report.layers.map(\.name).prefix(3), ["conv1", "conv_dw_1", "conv_pw_1"])
                XCTAssertEqual(report.layers.last?.name, "softmax")
                // A depthwise-separable block costs 1/N + 1/9 of the standard convolution it replaces.
                let block13 = report.layers.first { $0.name == "conv_pw_13" }!
                let n = Double(Int(1024 * alpha))
                XCTAssertEqual(block13.ratio!, 1 / n + 1 / 9, accuracy: 1e-9)
            }
        }
    }

    func testResolutionRecomputesFromOneGraph() throws {
        let graph = mobileNet(alpha: 0.25, resolution: 128)
        XCTAssertEqual(try costs(graph, resolution: 224).multAdds, try costs(mobileNet(alpha: 0.25, resolution: 224), resolution: 224).multAdds)
        XCTAssertEqual(try costs(graph, resolution: 128).multAdds, 13_570_048 + 0, "0.25-128 is 13.6 M")
    }

    func testNamesWhereAGraphStopsMatching() {
        guard case .failure(let failure) = MobileNetV1Recognizer.recognize(mobileNet(alpha: 0.5, resolution: 160, depthwise7Kernel: 5)) else {
            return XCTFail("a 5x5 depthwise block was recognised")
        }
        XCTAssertEqual(failure.description, "block 7: expected a 3x3 depthwise conv with stride 1, found a 5x5 depthwise conv with stride 1 ('dw7')")
    }

    func testNoTopModel() throws {
        guard case .success(let model) = MobileNetV1Recognizer.recognize(mobileNet(alpha: 0.75, resolution: 192, classes: nil)) else {
            return XCTFail("no-top model not recognised")
        }
        XCTAssertNil(model.classes)
        XCTAssertEqual(model.layers.last?.name, "conv_pw_13")
    }

    func testRecognisesRealExports() throws {
        for (fixture, classes) in [("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset9.onnx", 37),
                                   ("pytorch-style/mobilenet_v1_0.25_128_c10_opset17.onnx", 10)] {
            let graph = Pipeline.run(try ONNXImporter.importGraph(from: try Fixtures.bytes(fixture))).graph
            guard case .success(let model) = MobileNetV1Recognizer.recognize(graph) else { return XCTFail(fixture) }
            XCTAssertEqual(model.alpha, 0.25)
            XCTAssertEqual(model.resolution, 128)
            XCTAssertEqual(model.classes, classes)
            XCTAssertEqual(model.activation, "relu6")
            XCTAssertEqual(model.layers.map(\.name).suffix(3), classes == 37 ? ["pool", "classifier", "softmax"] : ["conv_pw_13", "pool", "classifier"], fixture)
        }
    }
}
