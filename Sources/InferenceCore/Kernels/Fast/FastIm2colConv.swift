import MobileNetIR

/// Any other ungrouped convolution (MobileNetV1's 3x3 stride-2 stem) as im2col + the pointwise
/// GEMM: each input patch becomes a column of a `[C * kH * kW, H' * W']` matrix, built in a scratch
/// buffer the kernel owns (an Engine runs one inference at a time).
final class FastIm2colConv: PreparedKernel, @unchecked Sendable {
    let gemm: FastPointwiseConv
    let batch, channels, h, w, kh, kw, oh, ow: Int
    let stride, dilation, pads: [Int]
    let columns: UnsafeMutableBufferPointer<Float>

    init(input: [Int], output: [Int], weight: Tensor, bias: Tensor?, conv: Conv2D, threads: Int) {
        (batch, channels, h, w) = (input[0], input[1], input[2], input[3])
        (kh, kw) = (weight.shape[2], weight.shape[3])
        (oh, ow) = (output[2], output[3])
        stride = conv.stride
        dilation = conv.dilation
        pads = conv.padding.resolved(inputSize: [h, w], kernel: [kh, kw], stride: conv.stride, dilation: conv.dilation)
        let depth = channels * kh * kw
        gemm = FastPointwiseConv(input: [1, depth, oh, ow], weight: Tensor(shape: [weight.shape[0], depth], data: weight.data),
                                 bias: bias, activation: conv.activation, threads: threads)
        columns = .allocate(capacity: depth * oh * ow)
    }

    deinit { columns.deallocate() }

    static func handles(_ conv: Conv2D) -> Bool { conv.groups == 1 }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0]
        let positions = oh * ow
        for n in 0..<batch {
            // Row (c, ky, kx) of the matrix holds that tap for every output position.
            for c in 0..<channels {
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let row = columns.baseAddress! + ((c * kh + ky) * kw + kx) * positions
                        let plane = x.baseAddress! + (n * channels + c) * h * w
                        // Output columns whose input column is inside the image.
                        let offset = kx * dilation[1] - pads[1], s = stride[1]
                        let first = max(0, (-offset + s - 1) / s)
                        let last = w - 1 - offset >= 0 ? min(ow, (w - 1 - offset) / s + 1) : 0
                        for oy in 0..<oh {
                            let iy = oy * stride[0] + ky * dilation[0] - pads[0]
                            let out = row + oy * ow
                            guard iy >= 0 && iy < h && first < last else {
                                out.update(repeating: 0, count: ow)
                                continue
                            }
                            let source = plane + iy * w + offset
                            for ox in 0..<first { out[ox] = 0 }
                            var ox = first
                            while ox < last {
                                out[ox] = source[ox &* s]
                                ox &+= 1
                            }
                            for ox in max(first, last)..<ow { out[ox] = 0 }
                        }
                    }
                }
            }
            let out = UnsafeMutableBufferPointer(rebasing: output[(n * gemm.weights.outputs * positions)..<((n + 1) * gemm.weights.outputs * positions)])
            gemm.run([UnsafeBufferPointer(columns)], out)
        }
    }
}
