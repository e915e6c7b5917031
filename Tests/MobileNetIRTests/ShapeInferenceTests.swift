import MobileNetIR
import XCTest

/// `Graph.inferShapes` against the output-size rules the source formats document, written here
/// from the specifications (ONNX's Conv / AveragePool operator docs, TensorFlow's `tf.nn.conv2d`
/// padding docs, numpy's broadcasting rules), not from the code under test.
final class ShapeInferenceTests: XCTestCase {
    /// One node reading graph input `x` (NCHW) and weight `w`, or only `x`.
    func shape(of op: Op, input: [Int], weight: [Int]? = nil) throws -> [Int] {
        var constants: [String: Tensor] = [:]
        var inputs = ["x"]
        if let weight {
            constants["w"] = Tensor(shape: weight, repeating: 0)
            inputs.append("w")
        }
        let graph = Graph(inputs: [GraphInput(name: "x", shape: input.map { $0 }, layout: nil)], outputs: ["y"],
                          nodes: [Node(name: "n", op: op, inputs: inputs, outputs: ["y"])], constants: constants,
                          metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: nil))
        let shapes = try graph.inferShapes(inputShapes: ["x": input])
        return try XCTUnwrap(shapes["y"])
    }

    /// ONNX Conv: `floor((in + pad_begin + pad_end - dilation * (k - 1) - 1) / stride) + 1`.
    func testExplicitPaddingFollowsONNXConv() throws {
        let grid = [7, 8, 14, 112, 113].flatMap { side in [1, 3, 5].flatMap { k in [1, 2].flatMap { stride in [1, 2].flatMap { dilation in
            [[0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 1, 1], [2, 1, 0, 3]].map { (side, k, stride, dilation, $0) } } } } }
        for (side, k, stride, dilation, pads) in grid {
            let effective = dilation * (k - 1) + 1
            guard side + pads[0] + pads[2] >= effective, side + pads[1] + pads[3] >= effective else { continue }
            let h = (side + pads[0] + pads[2] - dilation * (k - 1) - 1) / stride + 1
            let w = (side + pads[1] + pads[3] - dilation * (k - 1) - 1) / stride + 1
            let conv = Conv2D(stride: [stride, stride], padding: .explicit(pads), dilation: [dilation, dilation], groups: 1)
            XCTAssertEqual(try shape(of: .conv2d(conv), input: [2, 3, side, side], weight: [5, 3, k, k]), [2, 5, h, w],
                           "side \(side) k \(k) stride \(stride) dilation \(dilation) pads \(pads)")
        }
    }

    /// TensorFlow SAME: `ceil(in / stride)` whatever the kernel; pads `max((out - 1) * s + (k - 1) * d + 1 - in, 0)`,
    /// the smaller half first (top/left), the odd pixel at the bottom/right.
    func testSamePaddingFollowsTensorFlow() throws {
        let grid = [7, 8, 14, 15, 112, 113, 224].flatMap { side in [1, 3, 5].flatMap { k in [1, 2].flatMap { stride in [1, 2].map { (side, k, stride, $0) } } } }
        for (side, k, stride, dilation) in grid {
            let out = (side + stride - 1) / stride
            let total = max((out - 1) * stride + (k - 1) * dilation + 1 - side, 0)
            let upper = Padding.sameUpper.resolved(inputSize: [side, side], kernel: [k, k], stride: [stride, stride], dilation: [dilation, dilation])
            XCTAssertEqual(upper, [total / 2, total / 2, total - total / 2, total - total / 2], "side \(side) k \(k) s \(stride) d \(dilation)")
            let lower = Padding.sameLower.resolved(inputSize: [side, side], kernel: [k, k], stride: [stride, stride], dilation: [dilation, dilation])
            XCTAssertEqual(lower, [total - total / 2, total - total / 2, total / 2, total / 2])
            let conv = Conv2D(stride: [stride, stride], padding: .sameUpper, dilation: [dilation, dilation], groups: 4)
            XCTAssertEqual(try shape(of: .conv2d(conv), input: [1, 4, side, side], weight: [8, 1, k, k]), [1, 8, out, out])
        }
        // MobileNetV1's first stride-2 depthwise layer at 224: 112 -> 56 with pads [0, 0, 1, 1].
        XCTAssertEqual(Padding.sameUpper.resolved(inputSize: [112, 112], kernel: [3, 3], stride: [2, 2], dilation: [1, 1]), [0, 0, 1, 1])
    }

    /// TensorFlow VALID: `ceil((in - (k - 1) * d) / stride)`.
    func testValidPaddingFollowsTensorFlow() throws {
        for (side, k, stride) in [7, 8, 113, 224].flatMap({ side in [1, 3].flatMap { k in [1, 2].map { (side, k, $0) } } }) {
            let out = (side - (k - 1) + stride - 1) / stride
            let conv = Conv2D(stride: [stride, stride], padding: .explicit([0, 0, 0, 0]), dilation: [1, 1], groups: 1)
            XCTAssertEqual(try shape(of: .conv2d(conv), input: [1, 2, side, side], weight: [3, 2, k, k]), [1, 3, out, out])
        }
    }

    /// ONNX AveragePool with `ceil_mode`: `ceil((in + pads - k) / stride) + 1`, dropping a last
    /// window that would start in the trailing padding.
    func testPoolCeilModeFollowsONNX() throws {
        XCTAssertEqual(try shape(of: .averagePool(Pool(kernel: [3, 3], stride: [2, 2], padding: .explicit([0, 0, 0, 0]), ceilMode: true)), input: [1, 1, 8, 8]), [1, 1, 4, 4])
        XCTAssertEqual(try shape(of: .averagePool(Pool(kernel: [3, 3], stride: [2, 2], padding: .explicit([0, 0, 0, 0]))), input: [1, 1, 8, 8]), [1, 1, 3, 3])
        // ONNX's averagepool_2d_ceil case: 4x4, kernel 3, stride 2 -> 2x2.
        XCTAssertEqual(try shape(of: .maxPool(Pool(kernel: [3, 3], stride: [2, 2], padding: .explicit([0, 0, 0, 0]), ceilMode: true)), input: [1, 1, 4, 4]), [1, 1, 2, 2])
        // A window that would start in the trailing padding only is dropped: 5 + pad 1, k 2, s 2.
        XCTAssertEqual(try shape(of: .maxPool(Pool(kernel: [2, 2], stride: [2, 2], padding: .explicit([0, 0, 1, 1]), ceilMode: true)), input: [1, 1, 5, 5]), [1, 1, 3, 3])
        // TF-slim's 7x7 VALID pool.
        XCTAssertEqual(try shape(of: .averagePool(Pool(kernel: [7, 7], stride: [2, 2], padding: .explicit([0, 0, 0, 0]))), input: [1, 1024, 7, 7]), [1, 1024, 1, 1])
    }

    func testReductionsAndClassifierShapes() throws {
        XCTAssertEqual(try shape(of: .globalAveragePool, input: [3, 256, 4, 5]), [3, 256, 1, 1])
        XCTAssertEqual(try shape(of: .reduceMean(axes: [2, 3], keepDims: true), input: [3, 8, 4, 4]), [3, 8, 1, 1])
        XCTAssertEqual(try shape(of: .reduceMean(axes: [-1, -2], keepDims: false), input: [3, 8, 4, 4]), [3, 8])
        XCTAssertEqual(try shape(of: .reduceMean(axes: [], keepDims: false), input: [3, 8, 4, 4]), [], "no axes: every axis (ONNX)")
        XCTAssertEqual(try shape(of: .dense, input: [3, 256], weight: [10, 256]), [3, 10])
        XCTAssertThrowsError(try shape(of: .dense, input: [3, 255], weight: [10, 256]))
        XCTAssertEqual(try shape(of: .flatten(axis: 1), input: [3, 256, 1, 1]), [3, 256])
        XCTAssertEqual(try shape(of: .flatten(axis: 0), input: [3, 4, 5]), [1, 60], "ONNX Flatten axis 0: [1, all]")
        XCTAssertEqual(try shape(of: .softmax(axis: -1, coerced: false), input: [3, 1000]), [3, 1000])
    }

    /// ONNX Reshape: `0` copies the input's dimension, one `-1` is inferred.
    func testReshapeFollowsONNX() throws {
        XCTAssertEqual(try shape(of: .reshape(shape: [0, -1]), input: [3, 1024, 1, 1]), [3, 1024])
        XCTAssertEqual(try shape(of: .reshape(shape: [-1, 1000]), input: [2, 1, 1, 1000]), [2, 1000])
        XCTAssertEqual(try shape(of: .reshape(shape: [0, 0, 2, -1]), input: [2, 3, 4, 5]), [2, 3, 2, 10])
        XCTAssertThrowsError(try shape(of: .reshape(shape: [-1, -1]), input: [2, 3]), "two inferred dimensions")
        XCTAssertThrowsError(try shape(of: .reshape(shape: [7, -1]), input: [2, 3]), "6 elements do not divide by 7")
        XCTAssertThrowsError(try shape(of: .reshape(shape: [4, 2]), input: [2, 3]))
    }

    func testSqueezeUnsqueezeTransposePad() throws {
        XCTAssertEqual(try shape(of: .squeeze(axes: [2, 3]), input: [3, 10, 1, 1]), [3, 10])
        XCTAssertEqual(try shape(of: .squeeze(axes: []), input: [1, 10, 1, 1]), [10], "no axes: every 1")
        XCTAssertThrowsError(try shape(of: .squeeze(axes: [1]), input: [3, 10, 1, 1]), "axis 1 is not 1")
        XCTAssertEqual(try shape(of: .unsqueeze(axes: [0, 3]), input: [4, 5]), [1, 4, 5, 1])
        XCTAssertEqual(try shape(of: .unsqueeze(axes: [-1]), input: [4, 5]), [4, 5, 1])
        XCTAssertEqual(try shape(of: .transpose(perm: [0, 2, 3, 1]), input: [1, 3, 8, 9]), [1, 8, 9, 3])
        XCTAssertThrowsError(try shape(of: .transpose(perm: [0, 2, 2, 1]), input: [1, 3, 8, 9]))
        // ONNX Pad order: every axis's begin, then every axis's end; negative pads crop.
        XCTAssertEqual(try shape(of: .pad(pads: [0, 0, 0, 1, 0, 0, 1, 1], value: 0), input: [1, 3, 8, 8]), [1, 3, 9, 10])
        XCTAssertEqual(try shape(of: .pad(pads: [0, 0, -1, 0, 0, 0, 0, -2], value: 0), input: [1, 3, 8, 8]), [1, 3, 7, 6])
        XCTAssertThrowsError(try shape(of: .pad(pads: [0, 0, -9, 0, 0, 0, 0, 0], value: 0), input: [1, 3, 8, 8]))
    }

    /// numpy: shapes align on the right; each pair of dimensions must be equal or contain a 1.
    func testBroadcastingFollowsNumpy() {
        XCTAssertEqual(broadcastShape([3, 8, 4, 4], [8, 1, 1]), [3, 8, 4, 4])
        XCTAssertEqual(broadcastShape([1], [2, 3]), [2, 3])
        XCTAssertEqual(broadcastShape([5, 1, 3], [4, 1]), [5, 4, 3])
        XCTAssertEqual(broadcastShape([], [2, 2]), [2, 2])
        XCTAssertNil(broadcastShape([3, 8], [4]))
        XCTAssertNil(broadcastShape([2, 3], [3, 2]))
    }

    /// Depthwise: `groups = C` with weights `[C * m, 1, kH, kW]`; a group count that does not
    /// divide the channels, or weights of the wrong depth, are refused.
    func testGroupedConvolutionChecksChannels() throws {
        let depthwise = Conv2D(stride: [2, 2], padding: .sameUpper, dilation: [1, 1], groups: 8)
        XCTAssertEqual(try shape(of: .conv2d(depthwise), input: [1, 8, 16, 16], weight: [16, 1, 3, 3]), [1, 16, 8, 8])
        XCTAssertThrowsError(try shape(of: .conv2d(depthwise), input: [1, 8, 16, 16], weight: [16, 2, 3, 3]))
        XCTAssertThrowsError(try shape(of: .conv2d(Conv2D(groups: 3)), input: [1, 8, 16, 16], weight: [6, 2, 3, 3]))
        XCTAssertThrowsError(try shape(of: .conv2d(Conv2D()), input: [1, 3, 2, 2], weight: [4, 3, 3, 3]), "the kernel does not fit")
    }

    func testHugeOutputsAreRefused() {
        XCTAssertThrowsError(try shape(of: .unsqueeze(axes: [0]), input: [1 << 16, 1 << 16])) { error in
            guard case IRError.tooLarge = error else { return XCTFail("\(error)") }
        }
    }
}
