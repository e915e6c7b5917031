import MobileNetIR

/// Average or max pooling over H and W of `[N, C, H, W]`.
///
/// Average: the divisor counts the window positions inside the input, or, with
/// `countIncludePad`, also those in the declared padding (never those past it, which only
/// `ceilMode` windows reach). Max: padding never wins.
struct ReferencePool: PreparedKernel {
    let planes, h, w, oh, ow: Int
    let kernel, stride, pads: [Int]
    let average, countIncludePad: Bool

    init(input: [Int], output: [Int], pool: Pool, average: Bool) {
        planes = input[0] * input[1]
        (h, w) = (input[2], input[3])
        (oh, ow) = (output[2], output[3])
        kernel = pool.kernel
        stride = pool.stride
        pads = pool.padding.resolved(inputSize: [h, w], kernel: pool.kernel, stride: pool.stride, dilation: [1, 1])
        self.average = average
        countIncludePad = pool.countIncludePad
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0]
        for p in 0..<planes {
            for oy in 0..<oh {
                let y0 = oy * stride[0] - pads[0]
                let y1 = min(y0 + kernel[0], h + pads[2])
                for ox in 0..<ow {
                    let x0 = ox * stride[1] - pads[1]
                    let x1 = min(x0 + kernel[1], w + pads[3])
                    let paddedCount = (y1 - y0) * (x1 - x0)
                    var sum: Float = 0, maximum = -Float.infinity, count = 0
                    for iy in max(y0, 0)..<max(min(y1, h), max(y0, 0)) {
                        for ix in max(x0, 0)..<max(min(x1, w), max(x0, 0)) {
                            let v = x[(p * h + iy) * w + ix]
                            sum += v
                            maximum = max(maximum, v)
                            count += 1
                        }
                    }
                    let divisor = countIncludePad ? paddedCount : count
                    output[(p * oh + oy) * ow + ox] = average ? (divisor > 0 ? sum / Float(divisor) : 0) : maximum
                }
            }
        }
    }
}
