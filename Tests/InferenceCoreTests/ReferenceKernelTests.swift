import InferenceCore
import MobileNetIR
import TestSupport
import XCTest

/// Properties of the reference kernels, checked against independent computations.
final class ReferenceKernelTests: XCTestCase {
    var state: UInt64 = 99

    func random(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 23) - 1
        })
    }

    func run(_ op: Op, input: Tensor, constants: [Tensor] = []) throws -> Tensor {
        let names = constants.indices.map { "c\($0)" }
        let graph = Graph(
            inputs: [GraphInput(name: "x", shape: input.shape.map { $0 }, layout: input.rank == 4 ? .nchw : nil)],
            outputs: ["y"], nodes: [Node(name: "n", op: op, inputs: ["x"] + names, outputs: ["y"])],
            constants: Dictionary(uniqueKeysWithValues: zip(names, constants)),
            metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: nil))
        return try Engine(graph: graph, kernels: .reference).run(["x": input])["y"]!
    }

    /// Direct evaluation of one output element, written independently of the kernel.
    func convAt(_ x: Tensor, _ w: Tensor, n: Int, o: Int, y: Int, x ox: Int, stride: Int, pads: [Int], groups: Int, dilation: Int = 1) -> Float {
        let (c, h, wd) = (x.shape[1], x.shape[2], x.shape[3])
        let perGroup = c / groups, g = o / (w.shape[0] / groups)
        var sum: Float = 0
        for i in 0..<perGroup {
            for ky in 0..<w.shape[2] {
                for kx in 0..<w.shape[3] {
                    let iy = y * stride + ky * dilation - pads[0], ix = ox * stride + kx * dilation - pads[1]
                    guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                    sum += x.data[((n * c + g * perGroup + i) * h + iy) * wd + ix] * w.data[((o * perGroup + i) * w.shape[2] + ky) * w.shape[3] + kx]
                }
            }
        }
        return sum
    }

    func testConvMatchesDirectEvaluationOverAGrid() throws {
        for (channels, groups, outputs) in [(3, 1, 5), (4, 4, 4), (4, 4, 8), (6, 2, 4)] {
            for stride in [1, 2] {
                for (h, w) in [(7, 7), (8, 6), (5, 9)] {
                    for pads in [[0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 1, 1], [2, 1, 0, 1]] {
                        let x = random([2, channels, h, w]), weight = random([outputs, channels / groups, 3, 3])
                        let conv = Conv2D(stride: [stride, stride], padding: .explicit(pads), groups: groups)
                        let y = try run(.conv2d(conv), input: x, constants: [weight])
                        let label = "c\(channels) g\(groups) o\(outputs) s\(stride) \(h)x\(w) pads \(pads)"
                        let oh = (h + pads[0] + pads[2] - 3) / stride + 1, ow = (w + pads[1] + pads[3] - 3) / stride + 1
                        XCTAssertEqual(y.shape, [2, outputs, oh, ow], label)
                        for n in 0..<2 { for o in 0..<outputs { for oy in 0..<oh { for ox in 0..<ow {
                            let expected = convAt(x, weight, n: n, o: o, y: oy, x: ox, stride: stride, pads: pads, groups: groups)
                            XCTAssertEqual(y.data[((n * outputs + o) * oh + oy) * ow + ox], expected, accuracy: 1e-5, "\(label) at [\(n), \(o), \(oy), \(ox)]")
                        } } } }
                    }
                }
            }
        }
    }

    func testSamePaddingPutsTheOddPixelAtTheBottomRight() {
        // TensorFlow: out = ceil(in / stride), total = max((out - 1) * stride + k - in, 0), begin = total / 2.
        XCTAssertEqual(Padding.sameUpper.resolved(inputSize: [8, 8], kernel: [3, 3], stride: [2, 2], dilation: [1, 1]), [0, 0, 1, 1])
        XCTAssertEqual(Padding.sameUpper.resolved(inputSize: [7, 7], kernel: [3, 3], stride: [2, 2], dilation: [1, 1]), [1, 1, 1, 1])
        XCTAssertEqual(Padding.sameUpper.resolved(inputSize: [7, 8], kernel: [3, 3], stride: [1, 1], dilation: [1, 1]), [1, 1, 1, 1])
        XCTAssertEqual(Padding.sameLower.resolved(inputSize: [8, 8], kernel: [3, 3], stride: [2, 2], dilation: [1, 1]), [1, 1, 0, 0])
        XCTAssertEqual(Padding.sameUpper.resolved(inputSize: [8, 8], kernel: [1, 1], stride: [2, 2], dilation: [1, 1]), [0, 0, 0, 0])
    }

    func testSameUpperConvEqualsExplicitAsymmetricPadding() throws {
        let x = random([1, 4, 8, 8]), w = random([4, 1, 3, 3])
        let same = try run(.conv2d(Conv2D(stride: [2, 2], padding: .sameUpper, groups: 4)), input: x, constants: [w])
        let explicit = try run(.conv2d(Conv2D(stride: [2, 2], padding: .explicit([0, 0, 1, 1]), groups: 4)), input: x, constants: [w])
        let symmetric = try run(.conv2d(Conv2D(stride: [2, 2], padding: .explicit([1, 1, 1, 1]), groups: 4)), input: x, constants: [w])
        XCTAssertEqual(same, explicit)
        XCTAssertEqual(same.shape, symmetric.shape, "the same shape ...")
        XCTAssertNotEqual(same.data, symmetric.data, "... and other numbers: SAME is not symmetric padding")
    }

    func testDepthwiseEqualsGroupedConvPerChannel() throws {
        let x = random([1, 3, 6, 6]), w = random([3, 1, 3, 3])
        let depthwise = try run(.conv2d(Conv2D(padding: .explicit([1, 1, 1, 1]), groups: 3)), input: x, constants: [w])
        for c in 0..<3 {
            let plane = Tensor(shape: [1, 1, 6, 6], data: Array(x.data[(c * 36)..<((c + 1) * 36)]))
            let kernel = Tensor(shape: [1, 1, 3, 3], data: Array(w.data[(c * 9)..<((c + 1) * 9)]))
            let single = try run(.conv2d(Conv2D(padding: .explicit([1, 1, 1, 1]))), input: plane, constants: [kernel])
            XCTAssertEqual(Array(depthwise.data[(c * 36)..<((c + 1) * 36)]), single.data, "channel \(c)")
        }
    }

    func testPointwiseConvEqualsDenseOverChannels() throws {
        let x = random([1, 5, 1, 1]), w = random([7, 5, 1, 1]), b = random([7])
        let conv = try run(.conv2d(Conv2D()), input: x, constants: [w, b])
        let dense = try run(.dense, input: Tensor(shape: [1, 5], data: x.data), constants: [Tensor(shape: [7, 5], data: w.data), b])
        XCTAssertEqual(conv.data, dense.data)
    }

    func testAveragePoolDivisors() throws {
        let ones = Tensor(shape: [1, 1, 2, 2], repeating: 1)
        let pool = Pool(kernel: [2, 2], stride: [1, 1], padding: .explicit([1, 1, 1, 1]))
        // Excluding padding every window averages ones; including it, a corner window holds 1 of 4.
        XCTAssertEqual(try run(.averagePool(pool), input: ones).data, Array(repeating: 1, count: 9))
        var including = pool
        including.countIncludePad = true
        XCTAssertEqual(try run(.averagePool(including), input: ones).data, [0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25])
        let maxPooled = try run(.maxPool(pool), input: Tensor(shape: [1, 1, 2, 2], data: [-1, -2, -3, -4]))
        XCTAssertEqual(maxPooled.data, [-1, -1, -2, -1, -1, -2, -3, -3, -4], "padding never wins a max")
    }

    func testSoftmaxSumsToOneAlongItsAxis() throws {
        let x = random([2, 3, 4])
        for axis in 0..<3 {
            let y = try run(.softmax(axis: axis, coerced: false), input: x)
            var sums: [Int: Float] = [:]
            for i in 0..<x.count {
                let index = [i / 12, (i / 4) % 3, i % 4]
                var key = index
                key[axis] = 0
                sums[key[0] * 100 + key[1] * 10 + key[2], default: 0] += y.data[i]
            }
            for (_, sum) in sums { XCTAssertEqual(sum, 1, accuracy: 1e-6, "axis \(axis)") }
        }
        let coerced = try run(.softmax(axis: 1, coerced: true), input: x)
        XCTAssertEqual(coerced.data[0..<12].reduce(0, +), 1, accuracy: 1e-6, "coerced: one distribution per row of 12")
    }

    func testBroadcastingArithmetic() throws {
        let x = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try run(.binary(.add), input: x, constants: [Tensor(shape: [3], data: [10, 20, 30])]).data, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual(try run(.binary(.mul), input: x, constants: [Tensor(shape: [2, 1], data: [2, 3])]).data, [2, 4, 6, 12, 15, 18])
        XCTAssertEqual(try run(.binary(.sub), input: x, constants: [Tensor(shape: [], data: [1])]).data, [0, 1, 2, 3, 4, 5])
    }

    func testTransposeAndLayoutConversionRoundTrip() throws {
        let x = random([2, 3, 4, 5])
        let nhwc = x.converted(from: .nchw, to: .nhwc)
        XCTAssertEqual(nhwc.shape, [2, 4, 5, 3])
        // Element [n 1, c 1, h 2, w 3] in both layouts.
        let nhwcIndex: Int = ((1 * 4 + 2) * 5 + 3) * 3 + 1
        let nchwIndex: Int = ((1 * 3 + 1) * 4 + 2) * 5 + 3
        XCTAssertEqual(nhwc.data[nhwcIndex], x.data[nchwIndex])
        XCTAssertEqual(nhwc.converted(from: .nhwc, to: .nchw), x)
    }

    func testPadCropsAndFills() throws {
        let x = Tensor(shape: [1, 1, 2, 2], data: [1, 2, 3, 4])
        let y = try run(.pad(pads: [0, 0, 1, -1, 0, 0, 0, 1], value: 9), input: x)
        XCTAssertEqual(y.shape, [1, 1, 3, 2])
        XCTAssertEqual(y.data, [9, 9, 2, 9, 4, 9])
    }

    func testAnyBatchAndResolutionReusesTheGraph() throws {
        let w = random([2, 3, 3, 3])
        let graph = Graph(
            inputs: [GraphInput(name: "x", shape: [nil, 3, nil, nil], layout: .nchw)], outputs: ["p"],
            nodes: [Node(name: "c", op: .conv2d(Conv2D(stride: [2, 2], padding: .sameUpper)), inputs: ["x", "w"], outputs: ["c"]),
                    Node(name: "p", op: .globalAveragePool, inputs: ["c"], outputs: ["p"])],
            constants: ["w": w], metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
        let engine = try Engine(graph: graph)
        for shape in [[1, 3, 8, 8], [3, 3, 9, 7], [2, 3, 16, 16]] {
            XCTAssertEqual(try engine.run(["x": random(shape)])["p"]?.shape, [shape[0], 2, 1, 1])
        }
        XCTAssertThrowsError(try engine.run(["x": random([1, 4, 8, 8])]), "wrong channel count")
        XCTAssertThrowsError(try engine.run(["x": random([1, 3, 8])]), "wrong rank")
    }
}

/// The two ops heads add: `concat` along any axis against index arithmetic written here, in
/// plans that hold its inputs channels-last (after convolutions) and channels-first; `sigmoid`
/// against its definition.
final class HeadOpTests: XCTestCase {
    func testConcatAlongEveryAxisOfRank4() throws {
        let a = Tensor(shape: [2, 3, 2, 2], data: (0..<24).map { Float($0) })
        let b = Tensor(shape: [2, 3, 2, 2], data: (0..<24).map { Float(100 + $0) })
        for axis in 0..<4 {
            var bShape = a.shape
            bShape[axis] = 1
            let bSlice = Tensor(shape: bShape, data: Array(b.data.prefix(bShape.reduce(1, *))))
            let graph = Graph(inputs: [GraphInput(name: "a", shape: a.shape, layout: .nchw), GraphInput(name: "b", shape: bShape, layout: .nchw)],
                              outputs: ["y"], nodes: [Node(name: "cat", op: .concat(axis: axis - 4), inputs: ["a", "b"], outputs: ["y"])],
                              constants: [:], metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
            let y = try Engine(graph: graph).run(["a": a, "b": bSlice])["y"]!
            var outShape = a.shape
            outShape[axis] += 1
            XCTAssertEqual(y.shape, outShape)
            // Element (i0, i1, i2, i3) of y comes from a while i[axis] < a's extent, else from b.
            for flat in 0..<y.count {
                var index = [0, 0, 0, 0], rest = flat
                for d in (0..<4).reversed() { index[d] = rest % outShape[d]; rest /= outShape[d] }
                let fromA = index[axis] < a.shape[axis]
                var source = index
                if !fromA { source[axis] -= a.shape[axis] }
                let shape = fromA ? a.shape : bShape
                let offset = ((source[0] * shape[1] + source[1]) * shape[2] + source[2]) * shape[3] + source[3]
                XCTAssertEqual(y.data[flat], fromA ? a.data[offset] : bSlice.data[offset], "axis \(axis), element \(flat)")
            }
        }
    }

    /// Concat of two convolutions' outputs (held channels-last by the fast kernels) along the
    /// channels, then a sigmoid, against the reference kernels.
    func testConcatOfConvolutionsAndSigmoidInAFastPlan() throws {
        var state: UInt64 = 5
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(state >> 40) / Float(1 << 23) - 1
            })
        }
        let nodes = [
            Node(name: "c1", op: .conv2d(Conv2D()), inputs: ["x", "w1"], outputs: ["a"]),
            Node(name: "c2", op: .conv2d(Conv2D(padding: .sameUpper)), inputs: ["x", "w2"], outputs: ["b"]),
            Node(name: "cat", op: .concat(axis: 1), inputs: ["a", "b"], outputs: ["c"]),
            Node(name: "sig", op: .sigmoid, inputs: ["c"], outputs: ["y"]),
        ]
        let graph = Graph(inputs: [GraphInput(name: "x", shape: [nil, 8, 5, 6], layout: .nchw)], outputs: ["y"], nodes: nodes,
                          constants: ["w1": random([12, 8, 1, 1]), "w2": random([4, 8, 3, 3])],
                          metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
        let x = random([2, 8, 5, 6])
        let reference = try Engine(graph: graph, kernels: .reference).run(["x": x], capture: ["c"])
        let fast = try Engine(graph: graph, kernels: .fast, threads: 2).run(["x": x], capture: ["c"])
        assertClose(fast["y"]!, reference["y"]!, tolerance: 1e-5)
        XCTAssertEqual(reference["y"]!.shape, [2, 16, 5, 6])
        for (c, y) in zip(reference["c"]!.data, reference["y"]!.data) {
            XCTAssertEqual(y, Float(1 / (1 + exp(-Double(c)))), accuracy: 1e-6)
        }
    }
}
