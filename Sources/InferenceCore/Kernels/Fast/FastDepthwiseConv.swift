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
        var k = SIMD16<Float>(repeating: 0)
        for i in 0..<9 { k[i] = weights[o &* 9 &+ i] }
        let b = bias[o]
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        // Vector columns: the leftmost tap is inside the row, and the widest load (8 floats from
        // tap 2 at stride 1, 16 at stride 2) ends inside it.
        let first = (left &+ stride &- 1) / stride
        let reach = stride == 1 ? 10 : 18
        // The last column where a vector tile may start; a final tile may overlap the one before it
        // (it writes the same values), so at most a column or two per border is done one by one.
        let lastStart = min(ow &- 8, (w &- reach &+ left) / stride)
        for oy in 0..<oh {
            let out = y + oy &* ow
            let iy0 = oy &* stride &- top
            var ox = 0
            while ox < ow {
                var start = ox
                if ox >= first && lastStart >= first && ox > lastStart && ox < lastStart &+ 8 { start = lastStart }
                if start >= first && start <= lastStart {
                    vectorTile(x, out, at: start, iy0: iy0, k: k, bias: b, lo: lo, hi: hi)
                    ox = start &+ 8
                } else {
                    out[ox] = scalar(x, at: ox, iy0: iy0, k: k, bias: b)
                    ox &+= 1
                }
            }
        }
    }

    @inline(__always)
    private func vectorTile(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, at ox: Int, iy0: Int,
                            k: SIMD16<Float>, bias: Float, lo: SIMD8<Float>, hi: SIMD8<Float>) {
        let ix = ox &* stride &- left
        var acc = SIMD8<Float>(repeating: bias)
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
    }

    @inline(__always)
    private func scalar(_ x: UnsafePointer<Float>, at ox: Int, iy0: Int, k: SIMD16<Float>, bias: Float) -> Float {
        let ix = ox &* stride &- left
        var acc = bias
        for ky in 0..<3 {
            let iy = iy0 &+ ky
            guard iy >= 0 && iy < h else { continue }
            for kx in 0..<3 {
                let column = ix &+ kx
                if column >= 0 && column < w { acc = acc.addingProduct(x[iy &* w &+ column], k[ky &* 3 &+ kx]) }
            }
        }
        return min(max(acc, lower), upper)
    }
}
