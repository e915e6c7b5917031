import Foundation
import MNConvertKit
import MNWFormat
import MobileNetIR
import TestSupport
import XCTest

/// `info` and `verify --per-layer` on the real exports.
final class InspectionTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func out(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func testInfoIsTheSameInEveryFormat() throws {
        let sources: [(String, ImportOptions)] = [
            ("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset13.onnx", .init()),
            ("tensorflow/keras3_mobilenet_v1_0.25_128_c37.pb", .init()),
            ("keras/mobilenet_v1_0.25_128_c37.keras", .init()),
            ("keras/mobilenet_v1_0.25_128_c37.weights.h5", .init(resolution: 128)),
        ]
        var reports: [CostReport] = []
        for (fixture, options) in sources {
            let report = try Inspection.info(Fixtures.path(fixture), resolution: nil, options: options)
            XCTAssertEqual(report.alpha, 0.25, fixture)
            XCTAssertEqual(report.resolution, 128, fixture)
            XCTAssertEqual(report.classes, 37, fixture)
            XCTAssertEqual(report.activation, "relu6", fixture)
            XCTAssertEqual(report.layers.count, 30, fixture)
            reports.append(report)
        }
        XCTAssertEqual(Set(reports.map(\.params)).count, 1, "the same model in four files has one parameter count")
        XCTAssertEqual(Set(reports.map(\.multAdds)).count, 1)
        // 13.6 M mult-adds for 0.25-128 with 1000 classes; with 37 the classifier is 256 x 37.
        XCTAssertEqual(reports[0].multAdds, 13_570_048 - 256 * 1000 + 256 * 37)
    }

    func testInfoAtAnotherResolution() throws {
        let at128 = try Inspection.info(Fixtures.path("keras/mobilenet_v1_0.25_128_c37.keras"), resolution: nil)
        let at224 = try Inspection.info(Fixtures.path("keras/mobilenet_v1_0.25_128_c37.keras"), resolution: 224)
        XCTAssertEqual(at224.resolution, 224)
        XCTAssertEqual(at224.params, at128.params)
        XCTAssertEqual(at224.layers.first?.output, [112, 112, 8])
        XCTAssertGreaterThan(at224.multAdds, 3 * at128.multAdds - 3 * 256 * 37)
    }

    func testConvertStoresTheRecognitionInTheMNW() throws {
        _ = try Conversion.convert(Fixtures.path("tensorflow/slim_mobilenet_v1_0.25_128.pb"), to: out("slim.mnw"),
                                   options: { var o = Conversion.Options(); o.selection.outputs = ["final_result"]; return o }())
        let properties = try MNWFile.read(contentsOf: out("slim.mnw")).metadata.properties
        XCTAssertEqual(properties["mobilenet_v1.alpha"], "0.25")
        XCTAssertEqual(properties["mobilenet_v1.classes"], "5")
        XCTAssertEqual(properties["mobilenet_v1.layer.conv_dw_7"], "MobilenetV1/Conv2d_7_depthwise/depthwise")
    }

    func testInfoOnATFSlimGraphWithAFixedSizePool() throws {
        let report = try Inspection.info(Fixtures.path("tensorflow/slim_mobilenet_v1_0.25_128.pb"), resolution: nil,
                                         options: ImportOptions(outputs: ["final_result"]))
        XCTAssertEqual(report.classes, 5)
        XCTAssertEqual(report.layers.first { $0.name == "pool" }?.sourceName, "MobilenetV1/Logits/AvgPool_1a")
        XCTAssertNil(report.paperMultAdds, "its 4x4 VALID pool only covers the map at 128")
    }

    func testPerLayerAgreesAcrossFormats() throws {
        let report = try Inspection.perLayer(reference: Fixtures.path("keras/mobilenet_v1_0.25_128_c37.keras"),
                                             candidate: Fixtures.path("tensorflow/keras3_mobilenet_v1_0.25_128_c37.pb"),
                                             samples: 2, seed: 3, tolerance: 1e-4)
        XCTAssertNil(report.firstDivergence, report.text())
        XCTAssertEqual(report.layers.count, 30)
    }

    func testPerLayerNamesTheChangedLayer() throws {
        let source = Fixtures.path("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset13.onnx")
        _ = try Conversion.convert(source, to: out("model.mnw"), options: .init())
        var graph = try MNWFile.read(contentsOf: out("model.mnw"))
        let sourceName = try XCTUnwrap(graph.metadata.properties["mobilenet_v1.layer.conv_pw_7"])
        let node = try XCTUnwrap(graph.nodes.first { $0.name == sourceName })
        graph.constants[node.inputs[1]]!.data = graph.constants[node.inputs[1]]!.data.map { $0 * 1.01 }
        try MNWFile.write(graph, to: out("changed.mnw"))
        let report = try Inspection.perLayer(reference: source, candidate: out("changed.mnw"), samples: 2, seed: 0, tolerance: 1e-4)
        XCTAssertEqual(report.firstDivergence?.layer, "conv_pw_7", report.text())
        let json = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any]
        XCTAssertEqual((json?["first_divergence"] as? [String: Any])?["layer"] as? String, "conv_pw_7")
        XCTAssertEqual((json?["layers"] as? [Any])?.count, 30)
    }

    func testInfoRefusesWhatIsNotMobileNet() throws {
        XCTAssertThrowsError(try Inspection.info(Fixtures.path("onnx-backend/test_Conv2d/model.onnx"), resolution: nil)) {
            guard case .input(_, let message)? = $0 as? MNConvertError else { return XCTFail("\($0)") }
            XCTAssertTrue(message.hasPrefix("not a MobileNetV1: conv1: expected a 3x3 conv"), message)
        }
    }
}

/// The best classes and their names: ImageNet's 1000 classes, TF-slim's 1001 with "background"
/// first, or the user's labels.
final class TopClassesTests: XCTestCase {
    func testImageNetNamesByClassCount() {
        var scores = [Float](repeating: 0, count: 1000)
        scores[281] = 0.9
        scores[0] = 0.05
        let top = ImageInput.top(2, of: Tensor(shape: [1, 1000], data: scores))
        XCTAssertEqual(top.map(\.index), [281, 0])
        XCTAssertEqual(top.map(\.label), ["tabby, tabby cat", "tench, Tinca tinca"])
        let slim = ImageInput.top(2, of: Tensor(shape: [1, 1001], data: [0.5] + scores))
        XCTAssertEqual(slim.map(\.label), ["tabby, tabby cat", "background"])
        XCTAssertEqual(ImageInput.top(1, of: Tensor(shape: [1, 37], data: (0..<37).map(Float.init)), labels: nil).map(\.label), [nil])
        XCTAssertEqual(ImageInput.top(3, of: Tensor(shape: [1, 3], data: [1, 1, 2])).map(\.index), [2, 0, 1], "ties to the lower index")
    }
}
