import InferenceCore
import MobileNetIR
import TestSupport
import Synchronization
import XCTest
import Dispatch

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
        // Weights scaled by 1/sqrt(fan-in), as trained layers are: sums then stay near the range the
        // clipping activations keep, so 1e-5 of that range measures the kernels' rounding, not the
        // size of unscaled 1030-term sums (about 10, where one float's step is 1e-6).
        let fanIn = weight.dropFirst().reduce(1, *)
        var w = random(weight)
        w.data = w.data.map { $0 / Float(fanIn).squareRoot() }
        var constants = ["w": w]
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
        // Pairs of full panels take the 3 x 32 tile (49 and 289 rows end in a one-row tile); a last
        // odd panel (48 outputs) or partial one (33, 40) takes the 6 x 16 tile, and so do 16 and 24
        // outputs, which have no pair. Depths past 1024 take two passes over K. Two threads split
        // the panels of the 7 x 7 layers, the rows of the larger ones.
        for (k, o) in [(3, 5), (8, 16), (17, 9), (32, 64), (96, 33), (130, 48), (300, 20), (520, 40), (1030, 24), (1030, 40)] {
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
        // Widths 16 and more take the eight-position strips (41 at stride 2 ends in single positions);
        // 37 and 64 take the four-block path; 13 and 37 end in single channels.
        for channels in [1, 5, 8, 13, 37, 64] {
            for multiplier in [1, 2] {
                for stride in [1, 2] {
                    for (h, w) in [(1, 1), (5, 7), (9, 9), (16, 16), (23, 30), (4, 41)] {
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
        // Wide rows have windows inside the image between the patched borders, gathered three at a
        // time for a pair of full panels (32 and 40 outputs) and six at a time for a last odd or
        // partial panel (8, 20, 40); dilation 2 spreads the gathered offsets.
        for (c, o, k) in [(3, 8, 3), (4, 6, 5), (2, 3, 1), (3, 32, 3), (3, 20, 3), (2, 40, 3)] {
            for stride in [1, 2] {
                for (h, w) in [(7, 7), (8, 11), (16, 16), (5, 29)] {
                    for padding in [Padding.sameUpper, .explicit([1, 2, 0, 1]), .explicit([0, 0, 0, 0])] {
                        for dilation in [1, 2] where (h - 1 - (k - 1) * dilation) >= 0 {
                            try compare(Conv2D(stride: [stride, stride], padding: padding, dilation: [dilation, dilation], activation: .relu),
                                        input: [2, c, h, w], weight: [o, c, k, k], bias: stride == 1,
                                        label: "conv \(c)->\(o) k \(k) stride \(stride) dilation \(dilation) \(h)x\(w) \(padding)")
                        }
                    }
                }
            }
        }
    }

    func testDenseGrid() throws {
        // One row takes the panels four at a time: 50 outputs end inside the fourth panel, 300
        // outputs leave panels over, and 1100 x 300 is large enough to split across two threads.
        for (k, o) in [(7, 3), (64, 16), (300, 37), (33, 50), (1100, 300)] {
            for rows in [1, 5, 13] {
                let graph = Graph(inputs: [GraphInput(name: "x", shape: [rows, k], layout: nil)], outputs: ["y"],
                                  nodes: [Node(name: "fc", op: .dense, inputs: ["x", "w", "b"], outputs: ["y"])],
                                  constants: ["w": random([o, k]), "b": random([o])],
                                  metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: nil))
                let x = random([rows, k])
                let expected = try Engine(graph: graph, kernels: .reference).run(["x": x])["y"]!
                for threads in [1, 2] {
                    let got = try Engine(graph: graph, kernels: .fast, threads: threads).run(["x": x])["y"]!
                    assertClose(got, expected, tolerance: 1e-5, "dense k \(k) o \(o) rows \(rows), \(threads) threads")
                }
            }
        }
    }

    /// Global average pooling (64 channels at a time, then blocks of eight, then single ones) and
    /// softmax (blocks of eight lanes, then single values) against the reference kernels. The
    /// softmax must also hold each probability to 1e-6 of itself, not only of the range.
    func testPoolAndSoftmaxGrid() throws {
        func graph(_ node: Node, input: [Int?], layout: TensorLayout?) -> Graph {
            Graph(inputs: [GraphInput(name: "x", shape: input, layout: layout)], outputs: ["y"], nodes: [node], constants: [:],
                  metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: layout))
        }
        for channels in [5, 8, 40, 64, 100, 1000] {
            for batch in [1, 3] {
                // The fast pool reads channels-last: the plan converts the input for it.
                let pool = graph(Node(name: "gap", op: .globalAveragePool, inputs: ["x"], outputs: ["y"]), input: [nil, channels, nil, nil], layout: .nchw)
                for (h, w) in [(1, 1), (3, 5), (7, 7)] {
                    let x = random([batch, channels, h, w])
                    let label = "global average pool, \(channels) channels, \(h)x\(w), batch \(batch)"
                    assertClose(try Engine(graph: pool, kernels: .fast).run(["x": x])["y"]!,
                                try Engine(graph: pool, kernels: .reference).run(["x": x])["y"]!, tolerance: 1e-5, label)
                }
                // Scores spread over +-30, so that the smallest probabilities are far below the largest.
                let softmax = graph(Node(name: "softmax", op: .softmax(axis: 1, coerced: false), inputs: ["x"], outputs: ["y"]),
                                    input: [nil, channels], layout: nil)
                let scores = random([batch, channels])
                let x = Tensor(shape: scores.shape, data: scores.data.map { $0 * 30 })
                let got = try Engine(graph: softmax, kernels: .fast).run(["x": x])["y"]!
                let expected = try Engine(graph: softmax, kernels: .reference).run(["x": x])["y"]!
                let label = "softmax, \(channels) scores, batch \(batch)"
                assertClose(got, expected, tolerance: 1e-5, label)
                for (a, b) in zip(got.data, expected.data) where b > 1e-30 {
                    XCTAssertLessThan(Double(abs(a - b) / b), 1e-6, label)
                }
            }
        }
    }

    /// A chain that moves between the fast kernels (channels-last) and reference kernels
    /// (channels-first) several times, with intermediate values captured: every conversion the
    /// plan inserts, and the arena's reuse of freed ranges, must leave the values intact.
    func testMixedChainWithCaptures() throws {
        let nodes = [
            Node(name: "stem", op: .conv2d(Conv2D(stride: [2, 2], padding: .sameUpper, activation: .relu6)), inputs: ["x", "w0", "b0"], outputs: ["a"]),
            Node(name: "dw", op: .conv2d(Conv2D(padding: .explicit([1, 1, 1, 1]), groups: 16, activation: .relu6)), inputs: ["a", "w1", "b1"], outputs: ["b"]),
            Node(name: "pool", op: .averagePool(Pool(kernel: [2, 2], stride: [1, 1], padding: .explicit([0, 0, 0, 0]))), inputs: ["b"], outputs: ["c"]),
            Node(name: "pw", op: .conv2d(Conv2D(activation: .relu)), inputs: ["c", "w2"], outputs: ["d"]),
            Node(name: "relu", op: .activation(.clip(min: 0, max: 0.5)), inputs: ["d"], outputs: ["e"]),
            Node(name: "pw2", op: .conv2d(Conv2D()), inputs: ["e", "w3", "b3"], outputs: ["f"]),
            Node(name: "gap", op: .globalAveragePool, inputs: ["f"], outputs: ["g"]),
            Node(name: "flat", op: .flatten(axis: 1), inputs: ["g"], outputs: ["h"]),
            Node(name: "fc", op: .dense, inputs: ["h", "w4", "b4"], outputs: ["i"]),
            Node(name: "softmax", op: .softmax(axis: 1, coerced: false), inputs: ["i"], outputs: ["y"]),
        ]
        let constants = ["w0": random([16, 3, 3, 3]), "b0": random([16]), "w1": random([16, 1, 3, 3]), "b1": random([16]),
                         "w2": random([24, 16, 1, 1]), "w3": random([40, 24, 1, 1]), "b3": random([40]),
                         "w4": random([10, 40]), "b4": random([10])]
        let graph = Graph(inputs: [GraphInput(name: "x", shape: [nil, 3, 19, 23], layout: .nchw)], outputs: ["y"], nodes: nodes,
                          constants: constants, metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
        let capture = ["a", "b", "c", "d", "f", "g"]
        for batch in [1, 3] {
            let x = random([batch, 3, 19, 23])
            let expected = try Engine(graph: graph, kernels: .reference).run(["x": x], capture: capture)
            for threads in [1, 2] {
                let engine = try Engine(graph: graph, kernels: .fast, threads: threads)
                let plain = try engine.run(["x": x])
                assertClose(plain["y"]!, expected["y"]!, tolerance: 1e-5, "chain output, batch \(batch), \(threads) threads")
                let got = try engine.run(["x": x], capture: capture)
                for name in ["y"] + capture {
                    XCTAssertEqual(got[name]?.shape, expected[name]!.shape, name)
                    assertClose(got[name]!, expected[name]!, tolerance: 1e-5, "chain value \(name), batch \(batch), \(threads) threads")
                }
            }
        }
    }

    /// A depthwise layer and the pointwise layer that alone reads it run as one step in bands of
    /// rows once the depthwise output has 28 x 28 positions or more: odd sizes, both strides,
    /// channel counts off the vector width, partial panels, batch 3, one and two threads. The
    /// profile shows the pair as one line; kept or shared, the depthwise output is computed on
    /// its own and still right.
    func testDepthwisePointwiseFusion() throws {
        // Input size, stride, padding, and whether the output (30 x 30, 29 x 31, 28 x 29, 20 x 20) is fused.
        for (input, stride, padding, fused) in [([30, 30], 1, Padding.explicit([1, 1, 1, 1]), true), ([57, 61], 2, .sameUpper, true),
                                                 ([28, 29], 1, .explicit([0, 0, 2, 2]), true), ([20, 20], 1, .explicit([1, 1, 1, 1]), false)] {
            for (channels, outputs) in [(13, 9), (37, 40), (64, 16)] {
                let nodes = [
                    Node(name: "dw", op: .conv2d(Conv2D(stride: [stride, stride], padding: padding, groups: channels, activation: .relu6)),
                         inputs: ["x", "k", "kb"], outputs: ["a"]),
                    Node(name: "pw", op: .conv2d(Conv2D(activation: .clip(min: -0.5, max: 0.75))), inputs: ["a", "w", "wb"], outputs: ["y"]),
                ]
                let constants = ["k": random([channels, 1, 3, 3]), "kb": random([channels]),
                                 "w": random([outputs, channels, 1, 1]), "wb": random([outputs])]
                let graph = Graph(inputs: [GraphInput(name: "x", shape: [nil, channels] + input.map { $0 }, layout: .nchw)], outputs: ["y"],
                                  nodes: nodes, constants: constants, metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
                // The same pair with a second reader of the depthwise output.
                var shared = graph
                shared.nodes.append(Node(name: "pw2", op: .conv2d(Conv2D()), inputs: ["a", "w"], outputs: ["z"]))
                shared.outputs.append("z")
                let label = "\(input) stride \(stride) \(padding) c \(channels) o \(outputs)"
                for batch in [1, 3] {
                    let x = random([batch, channels] + input)
                    let expected = try Engine(graph: shared, kernels: .reference).run(["x": x], capture: ["a"])
                    for threads in [1, 2] {
                        let engine = try Engine(graph: graph, kernels: .fast, threads: threads)
                        assertClose(try engine.run(["x": x])["y"]!, expected["y"]!, tolerance: 1e-5, "\(label), batch \(batch), \(threads) threads")
                        let kept = try engine.run(["x": x], capture: ["a"])
                        assertClose(kept["a"]!, expected["a"]!, tolerance: 1e-5, "\(label), kept depthwise output")
                        assertClose(kept["y"]!, expected["y"]!, tolerance: 1e-5, "\(label), with the depthwise output kept")
                        let both = try Engine(graph: shared, kernels: .fast, threads: threads).run(["x": x])
                        assertClose(both["y"]!, expected["y"]!, tolerance: 1e-5, "\(label), shared depthwise output")
                        assertClose(both["z"]!, expected["z"]!, tolerance: 1e-5, "\(label), second reader")
                        let lines = try engine.profile(["x": x], runs: 1).map(\.nodes)
                        XCTAssertEqual(lines, fused ? [[0, 1]] : [[0], [1]], "\(label): profile lines")
                    }
                }
            }
        }
    }

    /// Engines on several threads at once share the worker pool (one takes it, the others fall
    /// back to Dispatch); every result must match the single-threaded one.
    func testEnginesOnSeveralThreadsAtOnce() throws {
        let graph = Graph(inputs: [GraphInput(name: "x", shape: [1, 32, 20, 20], layout: .nchw)], outputs: ["y"],
                          nodes: [Node(name: "pw", op: .conv2d(Conv2D(activation: .relu6)), inputs: ["x", "w"], outputs: ["a"]),
                                  Node(name: "dw", op: .conv2d(Conv2D(padding: .sameUpper, groups: 64)), inputs: ["a", "d"], outputs: ["y"])],
                          constants: ["w": random([64, 32, 1, 1]), "d": random([64, 1, 3, 3])],
                          metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
        let x = random([1, 32, 20, 20])
        let expected = try Engine(graph: graph, kernels: .reference).run(["x": x])["y"]!
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            guard let engine = try? Engine(graph: graph, kernels: .fast, threads: 2) else { return }
            for _ in 0..<200 {
                guard let y = try? engine.run(["x": x])["y"], zip(y.data, expected.data).allSatisfy({ abs($0 - $1) <= 1e-4 }) else {
                    failures.withLock { $0 += 1 }
                    return
                }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
    }

    /// An unfolded graph as importers see one: convolutions followed by per-channel `Mul` and
    /// `Add`, `Clip`, an explicit `Pad`, constants on either side of `Sub` and `Div`, and a
    /// single-value constant; the element-wise kernels run channels-last between the convolutions,
    /// on one thread at 11 x 9 and split across two at 75 x 61.
    func testUnfoldedElementwiseChain() throws {
        for (h, w) in [(11, 9), (75, 61)] { try unfoldedElementwiseChain(h: h, w: w) }
    }

    func unfoldedElementwiseChain(h: Int, w: Int) throws {
        let nodes = [
            Node(name: "conv", op: .conv2d(Conv2D()), inputs: ["x", "w"], outputs: ["a"]),
            Node(name: "mul", op: .binary(.mul), inputs: ["a", "scale"], outputs: ["b"]),
            Node(name: "add", op: .binary(.add), inputs: ["shift", "b"], outputs: ["c"]),
            Node(name: "clip", op: .activation(.relu6), inputs: ["c"], outputs: ["d"]),
            Node(name: "pad", op: .pad(pads: [0, 0, 0, 1, 0, 0, 2, 1], value: 0), inputs: ["d"], outputs: ["e"]),
            Node(name: "dw", op: .conv2d(Conv2D(stride: [2, 2], groups: 12)), inputs: ["e", "k"], outputs: ["f"]),
            Node(name: "sub", op: .binary(.sub), inputs: ["offset", "f"], outputs: ["g"]),
            Node(name: "div", op: .binary(.div), inputs: ["g", "divisor"], outputs: ["h"]),
            Node(name: "half", op: .binary(.mul), inputs: ["h", "half"], outputs: ["y"]),
        ]
        var divisor = random([1, 12, 1, 1])
        divisor.data = divisor.data.map { $0 < 0 ? $0 - 0.5 : $0 + 0.5 }
        let constants = ["w": random([12, 5, 1, 1]), "scale": random([1, 12, 1, 1]), "shift": random([12, 1, 1]),
                         "k": random([12, 1, 3, 3]), "offset": random([1, 12, 1, 1]), "divisor": divisor, "half": Tensor(shape: [], data: [0.5])]
        let graph = Graph(inputs: [GraphInput(name: "x", shape: [nil, 5, h, w], layout: .nchw)], outputs: ["y"], nodes: nodes,
                          constants: constants, metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
        for batch in [1, 2] {
            let x = random([batch, 5, h, w])
            let capture = ["b", "c", "e", "g"]
            let expected = try Engine(graph: graph, kernels: .reference).run(["x": x], capture: capture)
            let got = try Engine(graph: graph, kernels: .fast, threads: 2).run(["x": x], capture: capture)
            for name in ["y"] + capture {
                assertClose(got[name]!, expected[name]!, tolerance: 1e-5, "unfolded chain value \(name), \(h)x\(w), batch \(batch)")
            }
        }
    }

    /// Unfolded batch norms and affines (how Keras and TensorFlow graphs arrive, and what
    /// verification runs as the reference) run channels-last between the convolutions and give
    /// the reference kernels' values to the bit: channel counts off the vector width, batch 2, and
    /// 32 x 40 x 40 values an image, split across two threads.
    func testBatchNormAndAffineMatchTheReferenceExactly() throws {
        for (channels, h, w) in [(8, 9, 7), (13, 9, 7), (32, 9, 7), (32, 40, 40)] {
            let nodes = [
                Node(name: "conv", op: .conv2d(Conv2D()), inputs: ["x", "w"], outputs: ["a"]),
                Node(name: "bn", op: .batchNorm(epsilon: 1e-3), inputs: ["a", "gamma", "beta", "mean", "variance"], outputs: ["b"]),
                Node(name: "relu", op: .activation(.relu6), inputs: ["b"], outputs: ["c"]),
                Node(name: "dw", op: .conv2d(Conv2D(padding: .sameUpper, groups: channels)), inputs: ["c", "k"], outputs: ["d"]),
                Node(name: "affine", op: .affine, inputs: ["d", "scale", "shift"], outputs: ["y"]),
            ]
            var variance = random([channels])
            variance.data = variance.data.map { abs($0) }
            let constants = ["w": random([channels, 5, 1, 1]), "gamma": random([channels]), "beta": random([channels]),
                             "mean": random([channels]), "variance": variance, "k": random([channels, 1, 3, 3]),
                             "scale": random([channels]), "shift": random([channels])]
            let graph = Graph(inputs: [GraphInput(name: "x", shape: [nil, 5, h, w], layout: .nchw)], outputs: ["y"], nodes: nodes,
                              constants: constants, metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
            let x = random([2, 5, h, w])
            // The convolutions' own outputs are fed to both, so only the per-channel kernels differ.
            let reference = try Engine(graph: graph, kernels: .reference).run(["x": x], capture: ["a", "d"])
            let fast = try Engine(graph: graph, kernels: .fast, threads: 2).run(["x": x], capture: ["a", "b", "d"])
            for (name, input) in [("b", "a"), ("y", "d")] {
                let node = nodes.first { $0.outputs == [name] }!
                let single = Graph(inputs: [GraphInput(name: input, shape: [nil, channels, h, w], layout: .nchw)], outputs: [name],
                                   nodes: [node], constants: constants,
                                   metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
                let expected = try Engine(graph: single, kernels: .reference).run([input: fast[input]!])[name]!
                let differing = zip(fast[name]!.data, expected.data).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertEqual(differing, 0, "\(node.name), \(channels) channels: values that are not the reference kernel's, bit for bit")
            }
            assertClose(fast["y"]!, reference["y"]!, tolerance: 1e-5, "chain output, \(channels) channels")
        }
    }

    /// Engines that share packed weights pack each equal set once (same kernel, shape and bits:
    /// a changed value, a `-0.0` for a `0.0`, or a changed bias is packed again) and compute what
    /// engines packing their own compute.
    func testEnginesSharingWeightsPackEqualWeightsOnce() throws {
        let nodes = [
            Node(name: "stem", op: .conv2d(Conv2D(stride: [2, 2], padding: .sameUpper, activation: .relu6)), inputs: ["x", "w0", "b0"], outputs: ["a"]),
            Node(name: "dw", op: .conv2d(Conv2D(padding: .sameUpper, groups: 16, activation: .relu6)), inputs: ["a", "w1", "b1"], outputs: ["b"]),
            Node(name: "pw", op: .conv2d(Conv2D(activation: .relu6)), inputs: ["b", "w2", "b2"], outputs: ["c"]),
            Node(name: "gap", op: .globalAveragePool, inputs: ["c"], outputs: ["d"]),
            Node(name: "flat", op: .flatten(axis: 1), inputs: ["d"], outputs: ["e"]),
            Node(name: "fc", op: .dense, inputs: ["e", "w3", "b3"], outputs: ["y"]),
        ]
        var w2 = random([24, 16, 1, 1])
        w2.data[5] = 0
        let constants = ["w0": random([16, 3, 3, 3]), "b0": random([16]), "w1": random([16, 1, 3, 3]), "b1": random([16]),
                         "w2": w2, "b2": random([24]), "w3": random([10, 24]), "b3": random([10])]
        func graph(_ constants: [String: Tensor]) -> Graph {
            Graph(inputs: [GraphInput(name: "x", shape: [nil, 3, 15, 15], layout: .nchw)], outputs: ["y"], nodes: nodes,
                  constants: constants, metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
        }
        var negativeZero = constants, otherBias = constants, otherWeight = constants
        negativeZero["w2"]!.data[5] = -0.0
        otherBias["b3"]!.data[9] += 1
        otherWeight["w0"]!.data[100] += 0.5
        let x = random([2, 3, 15, 15])
        let sharing = WeightSharing()
        for (variant, packed) in [(constants, 4), (constants, 4), (negativeZero, 5), (otherBias, 6), (otherWeight, 7)] {
            let shared = try Engine(graph: graph(variant), threads: 2, sharing: sharing).run(["x": x])["y"]!
            let own = try Engine(graph: graph(variant), threads: 2).run(["x": x])["y"]!
            XCTAssertEqual(shared.data, own.data)
            XCTAssertEqual(sharing.packedCount, packed)
        }
    }

    /// A graph fed channels-last, as tf2onnx writes them: `Transpose [0, 3, 1, 2]` into a
    /// convolution, `Transpose [0, 2, 3, 1]` back out of the next one, each transpose captured
    /// (read channels-first) and not; other permutations and a single channel run as they are.
    func testLayoutTransposes() throws {
        for channels in [1, 3] {
            let nodes = [
                Node(name: "to-nchw", op: .transpose(perm: [0, 3, 1, 2]), inputs: ["x"], outputs: ["a"]),
                Node(name: "conv", op: .conv2d(Conv2D()), inputs: ["a", "w"], outputs: ["b"]),
                Node(name: "relu", op: .activation(.relu), inputs: ["b"], outputs: ["c"]),
                Node(name: "to-nhwc", op: .transpose(perm: [0, 2, 3, 1]), inputs: ["c"], outputs: ["d"]),
                Node(name: "swap-hw", op: .transpose(perm: [0, 2, 1, 3]), inputs: ["d"], outputs: ["y"]),
            ]
            let graph = Graph(inputs: [GraphInput(name: "x", shape: [nil, 7, 5, channels], layout: .nhwc)], outputs: ["y"], nodes: nodes,
                              constants: ["w": random([6, channels, 1, 1])],
                              metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nhwc))
            for (batch, capture) in [(1, [String]()), (2, ["a", "d"])] {
                let x = random([batch, 7, 5, channels])
                let expected = try Engine(graph: graph, kernels: .reference).run(["x": x], capture: capture)
                let got = try Engine(graph: graph, kernels: .fast, threads: 2).run(["x": x], capture: capture)
                for name in ["y"] + capture {
                    XCTAssertEqual(got[name]!.shape, expected[name]!.shape, "\(name), \(channels) channels")
                    assertClose(got[name]!, expected[name]!, tolerance: 1e-6, "transposed value \(name), \(channels) channels, batch \(batch)")
                }
            }
        }
    }
}
