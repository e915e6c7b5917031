import InferenceCore
import MobileNetIR
import TestSupport
import XCTest

/// The fast kernels against the reference kernels over grids of shapes: odd sizes, strides 1 and
/// 2, channel counts that are not multiples of the vector width, batch > 1, every activation,
/// one and two threads. Tolerance 1e-5 of range (the two sum in different orders).
final class FastKernelTests: XCTestCase {
    var state: UInt64 = 7

    func random(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 23) - 1
        })
    }

    func compare(_ conv: Conv2D, input: [Int], weight: [Int], bias: Bool, label: String) throws {
        var constants = ["w": random(weight)]
        var inputs = ["x", "w"]
        if bias {
            constants["b"] = random([weight[0]])
            inputs.append("b")
        }
        let graph = Graph(inputs: [GraphInput(name: "x", shape: input.map { $0 }, layout: .nchw)], outputs: ["y"],
                          nodes: [Node(name: "conv", op: .conv2d(conv), inputs: inputs, outputs: ["y"])], constants: constants,
                          metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
        let x = random(input)
        let expected = try Engine(graph: graph, kernels: .reference).run(["x": x])["y"]!
        for threads in [1, 2] {
            let got = try Engine(graph: graph, kernels: .fast, threads: threads).run(["x": x])["y"]!
            XCTAssertEqual(got.shape, expected.shape, label)
            assertClose(got, expected, tolerance: 1e-5, "\(label), \(threads) threads")
        }
    }

    func testPointwiseGrid() throws {
        for (k, o) in [(3, 5), (8, 16), (17, 9), (32, 64), (96, 33)] {
            for side in [1, 3, 7, 14, 17, 40] {
                for batch in [1, 3] {
                    for activation in [Activation.none, .relu6, .clip(min: -0.5, max: 0.25)] {
                        try compare(Conv2D(activation: activation), input: [batch, k, side, side], weight: [o, k, 1, 1], bias: batch == 1,
                                    label: "pointwise k \(k) o \(o) side \(side) batch \(batch) \(activation)")
                    }
                }
            }
        }
    }

    func testDepthwiseGrid() throws {
        for channels in [1, 5, 8, 13] {
            for multiplier in [1, 2] {
                for stride in [1, 2] {
                    for (h, w) in [(1, 1), (5, 7), (9, 9), (16, 16), (23, 30)] {
                        for padding in [Padding.sameUpper, .explicit([1, 1, 1, 1]), .explicit([0, 0, 1, 1]), .explicit([0, 0, 0, 0])] {
                            guard h + 2 >= 3 || padding != .explicit([0, 0, 0, 0]) else { continue }
                            if case .explicit(let p) = padding, h + p[0] + p[2] < 3 || w + p[1] + p[3] < 3 { continue }
                            try compare(Conv2D(stride: [stride, stride], padding: padding, groups: channels, activation: .relu6),
                                        input: [2, channels, h, w], weight: [channels * multiplier, 1, 3, 3], bias: true,
                                        label: "depthwise c \(channels) x\(multiplier) stride \(stride) \(h)x\(w) \(padding)")
                        }
                    }
                }
            }
        }
    }

    func testGeneralConvolutionGrid() throws {
        for (c, o, k) in [(3, 8, 3), (4, 6, 5), (2, 3, 1)] {
            for stride in [1, 2] {
                for (h, w) in [(7, 7), (8, 11), (16, 16)] {
                    for padding in [Padding.sameUpper, .explicit([1, 2, 0, 1])] {
                        try compare(Conv2D(stride: [stride, stride], padding: padding, activation: .relu), input: [2, c, h, w],
                                    weight: [o, c, k, k], bias: stride == 1, label: "conv \(c)->\(o) k \(k) stride \(stride) \(h)x\(w) \(padding)")
                    }
                }
            }
        }
    }
}
