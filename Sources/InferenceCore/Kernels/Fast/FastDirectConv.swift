import MobileNetIR

/// Any other ungrouped convolution (MobileNetV1's 3x3 stride-2 stem) as a GEMM whose rows are
/// gathered from the image as the tile needs them. It reads a channels-first input (a stem reads
/// the image as given) and writes channels-last. The GEMM's depth runs over `[C, kH, kW]`, the
/// weights' own order; for an output position whose window is inside the image, depth `k` is at
/// a fixed offset from the window's top left (`offsets[k] = c*H*W + ky*dy*W + kx*dx`), so three
/// positions of an output row go through one register tile (six for a last odd or partial panel)
/// without any copy. Positions whose
/// window reaches into the padding first have their patch written out (zeros in the padding),
/// into a row of scratch per thread, and go through the plain GEMM. Threads split output rows.
final class FastDirectConv: PreparedKernel, @unchecked Sendable {
    let weights: GEMMWeights
    let batch, channels, h, w, kh, kw, oh, ow: Int
    let stride, dilation, pads: [Int]
    let lower, upper: Float
    let threads: Int
    let offsets: UnsafeMutableBufferPointer<Int>
    /// `threads` rows of `ow` patches, `[ow, C * kH * kW]` each.
    let patches: UnsafeMutableBufferPointer<Float>
    /// Output columns whose window is inside the image horizontally.
    let inside: Range<Int>
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
        offsets = .allocate(capacity: depth)
        for c in 0..<channels {
            for ky in 0..<kh {
                for kx in 0..<kw { offsets[(c * kh + ky) * kw + kx] = c * h * w + ky * dilation[0] * w + kx * dilation[1] }
            }
        }
        patches = .allocateAligned(capacity: self.threads * ow * depth)
        let (sx, left) = (stride[1], pads[1])
        let first = min(ow, (left + sx - 1) / sx)
        let span = (kw - 1) * dilation[1]
        inside = first..<max(first, min(ow, w - 1 - span + left >= 0 ? (w - 1 - span + left) / sx + 1 : 0))
    }

    deinit {
        offsets.deallocate()
        patches.deallocate()
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let positions = oh * ow, outputs = weights.panels.outputs
        for n in 0..<batch {
            let image = SendableConstPointer(base: inputs[0].baseAddress! + n * channels * h * w)
            let y = SendablePointer(base: output.baseAddress! + n * positions * outputs)
            parallelFor(threads, threads: threads) { task in
                let chunk = (self.oh + self.threads - 1) / self.threads
                let scratch = self.patches.baseAddress! + task * self.ow * self.weights.panels.depth
                for oy in min(self.oh, task * chunk)..<min(self.oh, (task + 1) * chunk) {
                    self.row(image.base, oy: oy, y.base + oy * self.ow * outputs, scratch: scratch)
                }
            }
        }
    }

    /// Output row `oy`, `[ow, O]` at `out`.
    private func row(_ image: UnsafePointer<Float>, oy: Int, _ out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let panels = weights.panels, depth = panels.depth, ldc = panels.outputs
        let (sy, sx, top, left) = (stride[0], stride[1], pads[0], pads[1])
        let iy0 = oy &* sy &- top
        let columns = iy0 >= 0 && iy0 &+ (kh &- 1) &* dilation[0] < h ? inside : 0..<0
        // Patched positions: the columns before `columns` and those after.
        for part in [0..<columns.lowerBound, (columns.isEmpty ? 0 : columns.upperBound)..<ow] where !part.isEmpty {
            for ox in part { patch(image, oy: oy, ox: ox, into: scratch + (ox &- part.lowerBound) &* depth) }
            FastGEMM.run(panels, a: UnsafePointer(scratch), lda: depth, rows: 0..<part.count, panels: 0..<panels.panels,
                         c: out + part.lowerBound &* ldc, ldc: ldc, lower: lower, upper: upper)
        }
        let offsets = UnsafePointer(self.offsets.baseAddress!)
        // Pairs of full panels three positions at a time, a last odd or partial panel six at a time.
        let pairs = panels.outputs / 32 * 2
        if pairs > 0 {
            for ox in Swift.stride(from: columns.lowerBound, to: columns.upperBound, by: FastGEMM.wideRows) {
                let rows = min(FastGEMM.wideRows, columns.upperBound &- ox)
                let a = image + (iy0 &* w &+ ox &* sx &- left)
                for panel in Swift.stride(from: 0, to: pairs, by: 2) {
                    FastGEMM.wideGatherTile(panels, panel: panel, a: a, step: sx, offsets: offsets, rows: rows,
                                            c: out + ox &* ldc, ldc: ldc, lower: lower, upper: upper)
                }
            }
        }
        if pairs < panels.panels {
            for ox in Swift.stride(from: columns.lowerBound, to: columns.upperBound, by: FastGEMM.rowsPerTile) {
                let rows = min(FastGEMM.rowsPerTile, columns.upperBound &- ox)
                let a = image + (iy0 &* w &+ ox &* sx &- left)
                for panel in pairs..<panels.panels {
                    FastGEMM.gatherTile(panels, panel: panel, a: a, step: sx, offsets: offsets, rows: rows,
                                        c: out + ox &* ldc, ldc: ldc, lower: lower, upper: upper)
                }
            }
        }
    }

    /// The patch of output position (`oy`, `ox`), `[C, kH, kW]`, zero where it leaves the image.
    private func patch(_ image: UnsafePointer<Float>, oy: Int, ox: Int, into target: UnsafeMutablePointer<Float>) {
        let (sy, sx, dy, dx, top, left) = (stride[0], stride[1], dilation[0], dilation[1], pads[0], pads[1])
        var target = target
        for c in 0..<channels {
            let plane = image + c &* h &* w
            for ky in 0..<kh {
                let iy = oy &* sy &+ ky &* dy &- top
                for kx in 0..<kw {
                    let ix = ox &* sx &+ kx &* dx &- left
                    target[kx] = iy >= 0 && iy < h && ix >= 0 && ix < w ? plane[iy &* w &+ ix] : 0
                }
                target += kw
            }
        }
    }
}
