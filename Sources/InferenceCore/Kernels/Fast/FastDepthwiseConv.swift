import MobileNetIR

/// 3x3 depthwise convolution (groups = input channels, any multiplier), stride 1 or 2, any
/// four-sided padding, with bias and activation fused. Each output plane is computed row by row:
/// columns whose three taps are inside the row run eight at a time in SIMD (stride 2 loads sixteen
/// inputs and keeps the even lanes), the border columns one at a time. Threads split the channels.
final class FastDepthwiseConv: PreparedKernel, @unchecked Sendable {
    let batch, channels, outputs, multiplier: Int
    let h, w, oh, ow: Int
    let stride: Int
    let top, left: Int
    let weights: [Float]  // [O, 9]
    let bias: [Float]     // [O]
    let lower, upper: Float
    let threads: Int

    init(input: [Int], output: [Int], weight: Tensor, bias: Tensor?, conv: Conv2D, threads: Int) {
        (batch, channels, h, w) = (input[0], input[1], input[2], input[3])
        outputs = output[1]
        multiplier = outputs / channels
        (oh, ow) = (output[2], output[3])
        stride = conv.stride[0]
        let pads = conv.padding.resolved(inputSize: [h, w], kernel: [3, 3], stride: conv.stride, dilation: [1, 1])
        (top, left) = (pads[0], pads[1])
        weights = weight.data
        self.bias = bias?.data ?? [Float](repeating: 0, count: outputs)
        (lower, upper) = conv.activation.bounds
        self.threads = outputs * oh * ow * 9 < 1 << 17 ? 1 : threads
    }

    /// Whether `conv` with these shapes is one this kernel computes.
    static func handles(_ conv: Conv2D, input: [Int], weight: [Int]) -> Bool {
        conv.groups == input[1] && conv.groups > 1 && weight[1] == 1 && weight[2] == 3 && weight[3] == 3
            && conv.dilation == [1, 1] && conv.stride[0] == conv.stride[1] && (conv.stride[0] == 1 || conv.stride[0] == 2)
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = SendableConstPointer(base: inputs[0].baseAddress!), y = SendablePointer(base: output.baseAddress!)
        let planes = batch * outputs
        let tasks = threads > 1 ? threads : 1
        parallelFor(tasks, threads: threads) { task in
            let chunk = (planes + tasks - 1) / tasks
            for plane in (task * chunk)..<min(planes, (task + 1) * chunk) {
                let n = plane / self.outputs, o = plane % self.outputs
                let source = x.base + (n * self.channels + o / self.multiplier) * self.h * self.w
                self.plane(source, y.base + plane * self.oh * self.ow, channel: o)
            }
        }
    }

    private func plane(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, channel o: Int) {
        let k = weights.withUnsafeBufferPointer { SIMD16<Float>(UnsafeBufferPointer(rebasing: $0[(o * 9)..<(o * 9 + 9)]) + [0, 0, 0, 0, 0, 0, 0]) }
        let b = bias[o]
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        // Vector columns: the leftmost tap is inside the row, and the widest load (8 floats from
        // tap 2 at stride 1, 16 at stride 2) ends inside it.
        let first = (left &+ stride &- 1) / stride
        let reach = stride == 1 ? 10 : 18
        for oy in 0..<oh {
            let out = y + oy &* ow
            let iy0 = oy &* stride &- top
            var ox = 0
            while ox < ow {
                let ix = ox &* stride &- left
                if ox >= first && ox &+ 8 <= ow && ix &+ reach <= w {
                    var acc = SIMD8<Float>(repeating: b)
                    for ky in 0..<3 {
                        let iy = iy0 &+ ky
                        guard iy >= 0 && iy < h else { continue }
                        let row = UnsafeRawPointer(x + (iy &* w &+ ix))
                        if stride == 1 {
                            acc = acc.addingProduct(row.loadUnaligned(as: SIMD8<Float>.self), k[ky &* 3])
                            acc = acc.addingProduct(row.loadUnaligned(fromByteOffset: 4, as: SIMD8<Float>.self), k[ky &* 3 &+ 1])
                            acc = acc.addingProduct(row.loadUnaligned(fromByteOffset: 8, as: SIMD8<Float>.self), k[ky &* 3 &+ 2])
                        } else {
                            acc = acc.addingProduct(row.loadUnaligned(as: SIMD16<Float>.self).evenHalf, k[ky &* 3])
                            acc = acc.addingProduct(row.loadUnaligned(fromByteOffset: 4, as: SIMD16<Float>.self).evenHalf, k[ky &* 3 &+ 1])
                            acc = acc.addingProduct(row.loadUnaligned(fromByteOffset: 8, as: SIMD16<Float>.self).evenHalf, k[ky &* 3 &+ 2])
                        }
                    }
                    UnsafeMutableRawPointer(out + ox).storeBytes(of: acc.clampedFast(lo, hi), as: SIMD8<Float>.self)
                    ox &+= 8
                } else {
                    var acc = b
                    for ky in 0..<3 {
                        let iy = iy0 &+ ky
                        guard iy >= 0 && iy < h else { continue }
                        for kx in 0..<3 {
                            let column = ix &+ kx
                            if column >= 0 && column < w { acc = acc.addingProduct(x[iy &* w &+ column], k[ky &* 3 &+ kx]) }
                        }
                    }
                    out[ox] = min(max(acc, lower), upper)
                    ox &+= 1
                }
            }
        }
    }
}
