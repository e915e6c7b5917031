import MobileNetIR

/// Any other ungrouped convolution (MobileNetV1's 3x3 stride-2 stem) as im2col + the GEMM. It
/// reads a channels-first input (a stem reads the image as given) and writes channels-last: each
/// output position's patch becomes a row `[C, kH, kW]` of a `[H' * W', C * kH * kW]` matrix (zero
/// where the patch leaves the image), in a scratch buffer the kernel owns (an Engine runs one
/// inference at a time); that matrix times the weights, which already have that order, is the
/// output. Threads split output rows, building and multiplying their own rows.
final class FastIm2colConv: PreparedKernel, @unchecked Sendable {
    let weights: GEMMWeights
    let batch, channels, h, w, kh, kw, oh, ow: Int
    let stride, dilation, pads: [Int]
    let lower, upper: Float
    let threads: Int
    let patches: UnsafeMutableBufferPointer<Float>
    var outputOrder: ActivationOrder { .channelsLast }

    /// `input` is `[N, C, H, W]`, `kernel` `[kH, kW]`.
    init(input: [Int], output: [Int], kernel: [Int], weights: GEMMWeights, conv: Conv2D, threads: Int) {
        (batch, channels, h, w) = (input[0], input[1], input[2], input[3])
        (kh, kw) = (kernel[0], kernel[1])
        (oh, ow) = (output[2], output[3])
        stride = conv.stride
        dilation = conv.dilation
        pads = conv.padding.resolved(inputSize: [h, w], kernel: [kh, kw], stride: conv.stride, dilation: conv.dilation)
        (lower, upper) = conv.activation.bounds
        self.weights = weights
        let depth = weights.panels.depth
        self.threads = oh * ow * depth * weights.panels.outputs < 1 << 18 ? 1 : min(threads, oh)
        patches = .allocateAligned(capacity: oh * ow * depth)
    }

    deinit { patches.deallocate() }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let positions = oh * ow, weights = weights.panels
        for n in 0..<batch {
            let image = SendableConstPointer(base: inputs[0].baseAddress! + n * channels * h * w)
            let y = SendablePointer(base: output.baseAddress! + n * positions * weights.outputs)
            parallelFor(threads, threads: threads) { task in
                let chunk = (self.oh + self.threads - 1) / self.threads
                let rows = min(self.oh, task * chunk)..<min(self.oh, (task + 1) * chunk)
                for oy in rows { self.patchRow(image.base, oy: oy) }
                FastGEMM.run(weights, a: UnsafePointer(self.patches.baseAddress!), lda: weights.depth,
                             rows: (rows.lowerBound * self.ow)..<(rows.upperBound * self.ow), panels: 0..<weights.panels,
                             c: y.base, ldc: weights.outputs, lower: self.lower, upper: self.upper)
            }
        }
    }

    /// The patches of output row `oy`.
    private func patchRow(_ image: UnsafePointer<Float>, oy: Int) {
        let (depth, channels, h, w, kh, kw) = (weights.panels.depth, channels, h, w, kh, kw)
        let (sy, sx, dy, dx, top, left) = (stride[0], stride[1], dilation[0], dilation[1], pads[0], pads[1])
        let rowStart = patches.baseAddress! + oy &* ow &* depth
        let iy0 = oy &* sy &- top
        // The stem's case (three neighbours of an input row per patch row, all rows inside): one
        // pass per (channel, kernel row) along the output row, so the input is read in order.
        // Each three are moved as four; the fourth lands on the next pass's first, which that
        // pass overwrites (the last pass moves three).
        var fast = 0..<0
        if iy0 >= 0 && iy0 &+ (kh &- 1) &* dy < h && kw == 3 && dx == 1 {
            let first = (left &+ sx &- 1) / sx
            fast = first..<max(first, w &- 4 &+ left >= 0 ? (w &- 4 &+ left) / sx &+ 1 : 0)
            let pairs = channels &* kh
            for pair in 0..<pairs {
                let (c, ky) = pair.quotientAndRemainder(dividingBy: kh)
                let source = image + ((c &* h &+ iy0 &+ ky &* dy) &* w &- left)
                var out = rowStart + (fast.lowerBound &* depth &+ pair &* 3)
                var ix = fast.lowerBound &* sx
                if pair &+ 1 < pairs {
                    for _ in fast {
                        UnsafeMutableRawPointer(out).storeBytes(of: UnsafeRawPointer(source + ix).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                        out += depth
                        ix &+= sx
                    }
                } else {
                    for _ in fast {
                        (out[0], out[1], out[2]) = (source[ix], source[ix &+ 1], source[ix &+ 2])
                        out += depth
                        ix &+= sx
                    }
                }
            }
        }
        for ox in 0..<ow where !fast.contains(ox) {
            var target = rowStart + ox &* depth
            let ix0 = ox &* sx &- left
            let inside = ix0 >= 0 && ix0 &+ (kw &- 1) &* dx < w
            for c in 0..<channels {
                let plane = image + c &* h &* w
                for ky in 0..<kh {
                    let iy = oy &* sy &+ ky &* dy &- top
                    if iy < 0 || iy >= h {
                        for kx in 0..<kw { target[kx] = 0 }
                    } else if inside {
                        let source = plane + (iy &* w &+ ix0)
                        for kx in 0..<kw { target[kx] = source[kx &* dx] }
                    } else {
                        let source = plane + iy &* w
                        for kx in 0..<kw {
                            let ix = ix0 &+ kx &* dx
                            target[kx] = ix >= 0 && ix < w ? source[ix] : 0
                        }
                    }
                    target += kw
                }
            }
        }
    }
}
