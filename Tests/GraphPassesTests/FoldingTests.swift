import GraphPasses
import InferenceCore
import MobileNetIR
import ONNXImport
import TestSupport
import XCTest

final class FoldingTests: XCTestCase {
    /// conv -> batch norm -> relu6, the MobileNet unit.
    func convUnit(channels c: Int, groups: Int, multiplier: Int = 1, bias: Bool, stride: Int, epsilon: Float = 1e-3) -> Graph {
        var b = GraphBuilding()
        let outputs = groups == 1 ? 2 * c : c * multiplier
        let w = b.constant("w", b.random([outputs, c / groups, 3, 3]))
        var inputs = ["x", w]
        if bias { inputs.append(b.constant("b", b.random([outputs]))) }
        let conv = b.node("conv", .conv2d(Conv2D(stride: [stride, stride], padding: .explicit([1, 1, 1, 1]), groups: groups)), inputs)
        let bn = b.node("bn", .batchNorm(epsilon: epsilon), [
            conv, b.constant("gamma", b.random([outputs], in: 0.5...1.5)), b.constant("beta", b.random([outputs])),
            b.constant("mean", b.random([outputs])), b.constant("var", b.random([outputs], in: 0.5...2)),
        ])
        let act = b.node("act", .activation(.relu6), [bn])
        return b.graph(input: [nil, c, 9, 9], outputs: [act])
    }

    func outputs(_ graph: Graph, _ input: Tensor) throws -> Tensor {
        try Engine(graph: graph).run(["x": input])[graph.outputs[0]]!
    }

    func testFoldingGridMatchesUnfolded() throws {
        var inputs = GraphBuilding()
        for groups in [1, 8] {
            for multiplier in groups == 1 ? [1] : [1, 2] {
                for bias in [false, true] {
                    for stride in [1, 2] {
                        let graph = convUnit(channels: 8, groups: groups, multiplier: multiplier, bias: bias, stride: stride)
                        let (folded, report) = Pipeline.run(graph)
                        let label = "groups \(groups) multiplier \(multiplier) bias \(bias) stride \(stride)"
                        XCTAssertEqual(folded.nodes.map(\.op.name), ["conv2d"], label)
                        XCTAssertEqual(report.first { $0.pass == "fold-batch-norm" }?.rewrites, 1, label)
                        XCTAssertEqual(folded.outputs, graph.outputs, "output names survive the passes")
                        let x = inputs.random([2, 8, 9, 9], in: -2...2)
                        assertClose(try outputs(folded, x), try outputs(graph, x), tolerance: 1e-5, label)
                    }
                }
            }
        }
    }

    func testIdentityBatchNormLeavesWeightsBitEqual() throws {
        var b = GraphBuilding()
        let weight = b.random([4, 3, 3, 3])
        let conv = b.node("conv", .conv2d(Conv2D()), ["x", b.constant("w", weight)])
        // 1 / sqrt(0.75 + 0.25) is exactly 1, so the fold must not change a single bit.
        let bn = b.node("bn", .batchNorm(epsilon: 0.25), [
            conv, b.constant("g", Tensor(shape: [4], repeating: 1)), b.constant("beta", Tensor(shape: [4], repeating: 0)),
            b.constant("m", Tensor(shape: [4], repeating: 0)), b.constant("v", Tensor(shape: [4], repeating: 0.75)),
        ])
        let folded = FoldBatchNorm().run(b.graph(input: [1, 3, 5, 5], outputs: [bn])).graph
        XCTAssertEqual(folded.nodes.count, 1)
        let inputs = folded.nodes[0].inputs
        XCTAssertEqual(folded.constants[inputs[1]]!.data.map(\.bitPattern), weight.data.map(\.bitPattern))
        XCTAssertEqual(folded.constants[inputs[2]]!.data, [0, 0, 0, 0])
    }

    func testFoldUsesTheModelsEpsilon() throws {
        for epsilon: Float in [1e-3, 1e-5] {
            var b = GraphBuilding()
            let conv = b.node("conv", .conv2d(Conv2D()), ["x", b.constant("w", Tensor(shape: [1, 1, 1, 1], data: [1]))])
            let bn = b.node("bn", .batchNorm(epsilon: epsilon), [
                conv, b.constant("g", Tensor(shape: [1], data: [1])), b.constant("beta", Tensor(shape: [1], data: [0])),
                b.constant("m", Tensor(shape: [1], data: [0])), b.constant("v", Tensor(shape: [1], data: [0.01])),
            ])
            let folded = FoldBatchNorm().run(b.graph(input: [1, 1, 1, 1], outputs: [bn])).graph
            let weight = folded.constants[folded.nodes[0].inputs[1]]!.data[0]
            XCTAssertEqual(Double(weight), 1 / (0.01 + Double(epsilon)).squareRoot(), accuracy: 1e-6)
        }
    }

    func testRefusesWhenTheConvOutputHasAnotherReader() throws {
        var graph = convUnit(channels: 4, groups: 1, bias: true, stride: 1)
        graph.nodes.append(Node(name: "other", op: .activation(.relu), inputs: ["conv"], outputs: ["other"]))
        graph.outputs.append("other")
        let folded = Pipeline.run(graph).graph
        XCTAssertEqual(folded.nodes.map(\.op.name), ["conv2d", "batch_norm", "activation", "activation"])
    }

    func testRefusesWhenTheConvOutputIsAGraphOutput() throws {
        var graph = convUnit(channels: 4, groups: 1, bias: true, stride: 1)
        graph.outputs.append("conv")
        let folded = Pipeline.run(graph).graph
        XCTAssertTrue(folded.nodes.contains { $0.op.name == "batch_norm" })
        XCTAssertTrue(folded.outputs.contains("conv"))
    }

    func testRefusesNonConstantStatistics() throws {
        var graph = convUnit(channels: 4, groups: 1, bias: true, stride: 1)
        graph.inputs.append(GraphInput(name: "gamma_in", shape: [8], layout: nil))
        let bn = graph.nodes.firstIndex { $0.name == "bn" }!
        graph.nodes[bn].inputs[1] = "gamma_in"
        let folded = Pipeline.run(graph).graph
        XCTAssertTrue(folded.nodes.contains { $0.op.name == "batch_norm" })
    }

    /// Statistics, scales or a bias that do not number the conv's output channels (a damaged or
    /// hostile file: a fuzzed ONNX file whose batch norm read a 128-value beta after a 256-channel
    /// conv trapped here) leave the op unfolded, and running the graph then says what is wrong.
    func testConstantsOfTheWrongLengthAreLeftForTheEngineToRefuse() throws {
        var shortBeta = convUnit(channels: 4, groups: 1, bias: true, stride: 1)
        shortBeta.constants["beta"] = Tensor(shape: [3], data: [1, 2, 3])
        var shortBias = convUnit(channels: 4, groups: 1, bias: true, stride: 1)
        shortBias.constants["b"] = Tensor(shape: [5], data: [1, 2, 3, 4, 5])
        var emptyWeight = convUnit(channels: 4, groups: 1, bias: false, stride: 1)
        emptyWeight.constants["w"] = Tensor(shape: [0, 4, 3, 3], data: [])
        for (label, graph) in [("beta of 3 for 8 channels", shortBeta), ("bias of 5 for 8 channels", shortBias), ("no output channels", emptyWeight)] {
            let folded = Pipeline.run(graph).graph
            XCTAssertTrue(folded.nodes.contains { $0.op.name == "batch_norm" }, label)
            XCTAssertThrowsError(try outputs(folded, Tensor(shape: [1, 4, 9, 9], repeating: 1)), label)
        }

        // An affine of the wrong length after a conv, and two consecutive affines that disagree.
        var b = GraphBuilding()
        let conv = b.node("conv", .conv2d(Conv2D()), ["x", b.constant("w", b.random([6, 4, 1, 1]))])
        let first = b.node("a1", .affine, [conv, b.constant("s1", b.random([4])), b.constant("t1", b.random([4]))])
        let second = b.node("a2", .affine, [first, b.constant("s2", b.random([6])), b.constant("t2", b.random([6]))])
        let graph = b.graph(input: [nil, 4, 5, 5], outputs: [second])
        let folded = Pipeline.run(graph).graph
        XCTAssertEqual(folded.nodes.filter { $0.op == .affine }.count, 2)
        XCTAssertThrowsError(try outputs(folded, Tensor(shape: [1, 4, 5, 5], repeating: 1)))
    }

    func testFoldsZeroPadIntoConvPadding() throws {
        var b = GraphBuilding()
        let pad = b.node("pad", .pad(pads: [0, 0, 0, 0, 0, 0, 1, 1], value: 0), ["x"])
        let conv = b.node("conv", .conv2d(Conv2D(stride: [2, 2], groups: 3)), [pad, b.constant("w", b.random([3, 1, 3, 3]))])
        let graph = b.graph(input: [1, 3, 8, 8], outputs: [conv])
        let folded = FoldPad().run(graph).graph
        XCTAssertEqual(folded.nodes.map(\.op.name), ["conv2d"])
        guard case .conv2d(let c) = folded.nodes[0].op else { return XCTFail() }
        XCTAssertEqual(c.padding, .explicit([0, 0, 1, 1]), "Keras's ZeroPadding2D(((0, 1), (0, 1))): bottom and right")
        let x = b.random([1, 3, 8, 8])
        assertClose(try outputs(folded, x), try outputs(graph, x), tolerance: 0)

        var nonZero = graph
        nonZero.nodes[0].op = .pad(pads: [0, 0, 0, 0, 0, 0, 1, 1], value: 1)
        XCTAssertEqual(FoldPad().run(nonZero).rewrites, 0, "a non-zero pad value is not conv padding")
    }

    func testMulAddBecomesOneAffineAndFolds() throws {
        var b = GraphBuilding()
        let conv = b.node("conv", .conv2d(Conv2D(groups: 4)), ["x", b.constant("w", b.random([4, 1, 3, 3]))])
        let mul = b.node("mul", .binary(.mul), [conv, b.constant("s", b.random([1, 4, 1, 1]))])
        let add = b.node("add", .binary(.add), [mul, b.constant("t", b.random([4, 1, 1]))])
        let graph = b.graph(input: [nil, 4, 6, 6], outputs: [add])
        let affine = MulAddToAffine().run(graph).graph
        XCTAssertEqual(affine.nodes.map(\.op.name), ["conv2d", "affine"])
        let (folded, _) = Pipeline.run(graph)
        XCTAssertEqual(folded.nodes.map(\.op.name), ["conv2d"])
        let x = b.random([2, 4, 6, 6])
        assertClose(try outputs(folded, x), try outputs(graph, x), tolerance: 1e-6)
    }

    func testMulAlongAnotherAxisIsNotAnAffine() throws {
        var b = GraphBuilding()
        let mul = b.node("mul", .binary(.mul), ["x", b.constant("s", b.random([1, 1, 1, 6]))])
        XCTAssertEqual(MulAddToAffine().run(b.graph(input: [1, 4, 6, 6], outputs: [mul])).rewrites, 0)
    }

    func testRemoveIdentityKeepsOutputNames() throws {
        var b = GraphBuilding()
        let relu = b.node("relu", .activation(.relu), ["x"])
        let id1 = b.node("id1", .identity, [relu])
        let id2 = b.node("id2", .identity, [id1])
        let result = RemoveIdentity().run(b.graph(input: [1, 2], outputs: [id2])).graph
        XCTAssertEqual(result.nodes.map(\.op.name), ["activation"])
        XCTAssertEqual(result.outputs, ["id2"])
        XCTAssertEqual(result.nodes[0].output, "id2")
    }

    /// The op lists before and after, on real exports.
    func testTF2ONNXModelBecomesConvsOnly() throws {
        let graph = try ONNXImporter.importGraph(from: try Fixtures.bytes("keras-tf2onnx/mobilenet_v1_0.25_128_c37_opset13.onnx"))
        let before = Dictionary(grouping: graph.nodes, by: \.op.name).mapValues(\.count)
        XCTAssertEqual(before["transpose"], 1)
        XCTAssertEqual(before["pad"], 4)
        XCTAssertEqual(before["mul"], 13)
        XCTAssertEqual(before["add"], 13)
        XCTAssertEqual(before["activation"], 27)
        let (canonical, _) = Pipeline.run(graph)
        // The stem, 13 depthwise and 13 pointwise convs, then Keras's head: pool, reshape, 1x1 conv, reshape, softmax.
        XCTAssertEqual(canonical.nodes.map(\.op.name),
                       Array(repeating: "conv2d", count: 27) + ["global_average_pool", "reshape", "conv2d", "reshape", "softmax"])
        XCTAssertEqual(canonical.inputs[0].layout, .nchw)
        XCTAssertEqual(canonical.inputs[0].shape, [nil, 3, 128, 128])
        XCTAssertEqual(canonical.metadata.sourceInputLayout, .nhwc)
        let activations = canonical.nodes.compactMap { if case .conv2d(let c) = $0.op { c.activation } else { nil } }
        XCTAssertEqual(activations.filter { $0 == .relu6 }.count, 27, "every ReLU6 stays ReLU6")
    }

    func testPyTorchStyleModelBecomesConvsAndAHead() throws {
        let graph = try ONNXImporter.importGraph(from: try Fixtures.bytes("pytorch-style/mobilenet_v1_0.25_128_c10_opset7.onnx"))
        let canonical = Pipeline.run(graph).graph
        XCTAssertEqual(canonical.nodes.map(\.op.name), Array(repeating: "conv2d", count: 27) + ["global_average_pool", "flatten", "dense", "softmax"])
    }
}

/// `RemoveUnitTranspose`: a transpose of unit axes before a reshape goes; one that moves data,
/// moves the batch, or feeds a reshape copying a changed axis stays.
final class RemoveUnitTransposeTests: XCTestCase {
    func graph(input: [Int?], perm: [Int], target: [Int]) -> Graph {
        Graph(inputs: [GraphInput(name: "x", shape: input, layout: .nchw)], outputs: ["y"],
              nodes: [Node(name: "t", op: .transpose(perm: perm), inputs: ["x"], outputs: ["t"]),
                      Node(name: "r", op: .reshape(shape: target), inputs: ["t"], outputs: ["y"])],
              constants: [:], metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
    }

    func testDropsATransposeOfUnitAxesAndComputesTheSame() throws {
        let before = graph(input: [nil, 37, 1, 1], perm: [0, 2, 3, 1], target: [-1, 37])
        let (after, rewrites) = RemoveUnitTranspose().run(before)
        XCTAssertEqual(rewrites, 1)
        XCTAssertEqual(after.nodes.map(\.name), ["r"])
        XCTAssertEqual(after.nodes[0].inputs, ["x"])
        let x = Tensor(shape: [3, 37, 1, 1], data: (0..<111).map { Float($0) * 0.5 - 7 })
        XCTAssertEqual(try Engine(graph: after, kernels: .reference).run(["x": x])["y"], try Engine(graph: before, kernels: .reference).run(["x": x])["y"])
    }

    func testKeepsTransposesThatMoveData() {
        for (input, perm, target) in [([nil, 4, 2, 1], [0, 2, 3, 1], [-1, 8]),      // moves a 4 past a 2
                                      ([nil, 1, 1, 5], [1, 0, 2, 3], [-1, 5]),      // moves the batch
                                      ([nil, 3, 1, 1], [0, 2, 3, 1], [0, 0, -1])]   // copies axis 1, which it changed
                                      as [([Int?], [Int], [Int])] {
            XCTAssertEqual(RemoveUnitTranspose().run(graph(input: input, perm: perm, target: target)).rewrites, 0, "\(input) \(perm) \(target)")
        }
    }
}
