import MobileNetIR

/// 3x3 depthwise convolution (groups = channels, one output channel per input channel), stride 1
/// or 2, any four-sided padding, with bias and activation fused; channels-last, so eight channels
/// go through SIMD together with every load contiguous. At stride 1 (and stride 2 under 32
/// channels), eight output positions of a row inside the image go together (`strip`), each
/// input loaded once for all the outputs it reaches; elsewhere each position finds its nine taps' inputs first (a tap in the padding reads
/// a row of zeros, so borders need no other code) and runs across the channels. Threads split
/// output rows.
final class FastDepthwiseConv: PreparedKernel, @unchecked Sendable {
    /// The input rows of a window's three kernel rows (channels-last); nil for a row in the padding.
    typealias InputRows = (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?)

    let batch, channels, h, w, oh, ow: Int
    let stride, top, left: Int
    let weights: DepthwiseWeights
    let lower, upper: Float
    let threads: Int
    var inputOrder: ActivationOrder { .channelsLast }

    /// `input` is `[N, C, H, W]`.
    init(input: [Int], output: [Int], weights: DepthwiseWeights, conv: Conv2D, threads: Int) {
        (batch, channels, h, w) = (input[0], input[1], input[2], input[3])
        (oh, ow) = (output[2], output[3])
        stride = conv.stride[0]
        let pads = conv.padding.resolved(inputSize: [h, w], kernel: [3, 3], stride: conv.stride, dilation: [1, 1])
        (top, left) = (pads[0], pads[1])
        self.weights = weights
        (lower, upper) = conv.activation.bounds
        self.threads = channels * oh * ow * 9 < 1 << 17 ? 1 : threads
    }

    /// Whether this kernel computes `conv` with `weight`'s shape: 3x3, one output channel per
    /// input channel (`weight [C, 1, 3, 3]` with `groups == C`), stride 1 or 2, no dilation.
    static func handles(_ conv: Conv2D, weight: [Int]) -> Bool {
        conv.groups > 1 && weight == [conv.groups, 1, 3, 3]
            && conv.dilation == [1, 1] && conv.stride[0] == conv.stride[1] && (conv.stride[0] == 1 || conv.stride[0] == 2)
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = SendableConstPointer(base: inputs[0].baseAddress!), y = SendablePointer(base: output.baseAddress!)
        let rows = batch * oh
        parallelFor(threads, threads: threads) { task in
            let chunk = (rows + self.threads - 1) / self.threads
            for row in (task * chunk)..<min(rows, (task + 1) * chunk) {
                let (n, oy) = row.quotientAndRemainder(dividingBy: self.oh)
                self.row(x.base + n * self.h * self.w * self.channels, y.base + row * self.ow * self.channels, oy: oy)
            }
        }
    }

    /// Output row `oy` of the image at `image` (`[H, W, C]`), into `out` (`[ow, C]`); the fused
    /// depthwise-pointwise kernel calls it for its bands.
    func row(_ image: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, oy: Int) {
        let c = channels
        let iy0 = oy &* stride &- top
        // The three kernel rows' input rows; a row in the padding is nil.
        @inline(__always) func inputRow(_ ky: Int) -> UnsafePointer<Float>? {
            iy0 &+ ky >= 0 && iy0 &+ ky < h ? image + (iy0 &+ ky) &* w &* c : nil
        }
        let rows = (inputRow(0), inputRow(1), inputRow(2))
        // Output columns whose window is inside the image horizontally.
        let first = min(ow, (left &+ stride &- 1) / stride)
        let inside = first..<max(first, min(ow, w &- 3 &+ left >= 0 ? (w &- 3 &+ left) / stride &+ 1 : 0))
        var ox = 0
        while ox < ow {
            if inside.contains(ox) && inside.count >= 8 && (stride == 1 || c < 32) {
                // Under 128 channels the last strip moves back to end at the last inside position,
                // recomputing a few outputs, instead of leaving up to seven positions to `taps`:
                // 15-25 % faster on layers of 8 to 64 channels, 14-35 % slower on 256 and 512
                // (whose strips are slower per position than `taps`).
                let start = c < 128 ? min(ox, inside.upperBound &- 8) : ox
                if start &+ 8 <= inside.upperBound {
                    if stride == 1 {
                        strip(rows, column: start &- left, out + start &* c)
                    } else {
                        stripStride2(rows, column: start &* 2 &- left, out + start &* c)
                    }
                    ox = start &+ 8
                    continue
                }
            }
            // One position; taps in the padding read a row of zeros.
            let ix0 = ox &* stride &- left
            taps(input(rows.0, ix0), input(rows.0, ix0 &+ 1), input(rows.0, ix0 &+ 2),
                 input(rows.1, ix0), input(rows.1, ix0 &+ 1), input(rows.1, ix0 &+ 2),
                 input(rows.2, ix0), input(rows.2, ix0 &+ 1), input(rows.2, ix0 &+ 2), out + ox &* c)
            ox &+= 1
        }
    }

    /// Eight adjacent output positions at stride 1 whose windows are inside the image
    /// horizontally, from input column `column` on; kernel rows in the padding (nil) add nothing.
    /// Per block of eight channels, each kernel row's three weights stay in registers while the
    /// row's ten inputs are loaded once each and added into every output they reach: 10 loads for
    /// 24 FMAs, where one position at a time needs two loads per FMA.
    private func strip(_ rows: InputRows, column: Int,
                       _ out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        let c = channels, s = c &* 4, ws = weights.stride &* 4
        let taps = UnsafeRawPointer(weights.taps.baseAddress!), b = UnsafeRawPointer(weights.bias.baseAddress!)
        var j = 0
        while j &+ 8 <= c {
            let o = j &* 4
            var a0 = b.loadUnaligned(fromByteOffset: o, as: V.self)
            var (a1, a2, a3, a4, a5, a6, a7) = (a0, a0, a0, a0, a0, a0, a0)
            @inline(__always) func add(_ row: UnsafePointer<Float>?, _ ky: Int) {
                guard let row else { return }
                let p = UnsafeRawPointer(row + column &* c) + o
                let k = taps + (ky &* 3 &* ws &+ o)
                let w0 = k.loadUnaligned(as: V.self), w1 = k.loadUnaligned(fromByteOffset: ws, as: V.self)
                let w2 = k.loadUnaligned(fromByteOffset: 2 &* ws, as: V.self)
                @inline(__always) func x(_ i: Int) -> V { p.loadUnaligned(fromByteOffset: i &* s, as: V.self) }
                // Output n reads inputs n, n + 1, n + 2.
                var v = x(0); a0 = a0.addingProduct(v, w0)
                v = x(1); a0 = a0.addingProduct(v, w1); a1 = a1.addingProduct(v, w0)
                v = x(2); a0 = a0.addingProduct(v, w2); a1 = a1.addingProduct(v, w1); a2 = a2.addingProduct(v, w0)
                v = x(3); a1 = a1.addingProduct(v, w2); a2 = a2.addingProduct(v, w1); a3 = a3.addingProduct(v, w0)
                v = x(4); a2 = a2.addingProduct(v, w2); a3 = a3.addingProduct(v, w1); a4 = a4.addingProduct(v, w0)
                v = x(5); a3 = a3.addingProduct(v, w2); a4 = a4.addingProduct(v, w1); a5 = a5.addingProduct(v, w0)
                v = x(6); a4 = a4.addingProduct(v, w2); a5 = a5.addingProduct(v, w1); a6 = a6.addingProduct(v, w0)
                v = x(7); a5 = a5.addingProduct(v, w2); a6 = a6.addingProduct(v, w1); a7 = a7.addingProduct(v, w0)
                v = x(8); a6 = a6.addingProduct(v, w2); a7 = a7.addingProduct(v, w1)
                v = x(9); a7 = a7.addingProduct(v, w2)
            }
            add(rows.0, 0)
            add(rows.1, 1)
            add(rows.2, 2)
            store((a0, a1, a2, a3, a4, a5, a6, a7), out, block: j)
            j &+= 8
        }
        if j < c { stripTail(rows, column: column, stride: 1, out, from: j) }
    }

    /// `strip` at stride 2, for layers under 32 channels (output `n` reads inputs `2n`, `2n + 1`,
    /// `2n + 2`: 17 loads for 24 FMAs). Wider layers go position by position, which measured
    /// faster there (0.22 against 0.33 ms on the 112x112x64 layer; 0.035 against 0.019 ms the
    /// other way on the 64x64x16 layer of 0.25-128).
    private func stripStride2(_ rows: InputRows, column: Int,
                              _ out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        let c = channels, s = c &* 4, ws = weights.stride &* 4
        let taps = UnsafeRawPointer(weights.taps.baseAddress!), b = UnsafeRawPointer(weights.bias.baseAddress!)
        var j = 0
        while j &+ 8 <= c {
            let o = j &* 4
            var a0 = b.loadUnaligned(fromByteOffset: o, as: V.self)
            var (a1, a2, a3, a4, a5, a6, a7) = (a0, a0, a0, a0, a0, a0, a0)
            @inline(__always) func add(_ row: UnsafePointer<Float>?, _ ky: Int) {
                guard let row else { return }
                let p = UnsafeRawPointer(row + column &* c) + o
                let k = taps + (ky &* 3 &* ws &+ o)
                let w0 = k.loadUnaligned(as: V.self), w1 = k.loadUnaligned(fromByteOffset: ws, as: V.self)
                let w2 = k.loadUnaligned(fromByteOffset: 2 &* ws, as: V.self)
                @inline(__always) func x(_ i: Int) -> V { p.loadUnaligned(fromByteOffset: i &* s, as: V.self) }
                var v = x(0); a0 = a0.addingProduct(v, w0)
                v = x(1); a0 = a0.addingProduct(v, w1)
                v = x(2); a0 = a0.addingProduct(v, w2); a1 = a1.addingProduct(v, w0)
                v = x(3); a1 = a1.addingProduct(v, w1)
                v = x(4); a1 = a1.addingProduct(v, w2); a2 = a2.addingProduct(v, w0)
                v = x(5); a2 = a2.addingProduct(v, w1)
                v = x(6); a2 = a2.addingProduct(v, w2); a3 = a3.addingProduct(v, w0)
                v = x(7); a3 = a3.addingProduct(v, w1)
                v = x(8); a3 = a3.addingProduct(v, w2); a4 = a4.addingProduct(v, w0)
                v = x(9); a4 = a4.addingProduct(v, w1)
                v = x(10); a4 = a4.addingProduct(v, w2); a5 = a5.addingProduct(v, w0)
                v = x(11); a5 = a5.addingProduct(v, w1)
                v = x(12); a5 = a5.addingProduct(v, w2); a6 = a6.addingProduct(v, w0)
                v = x(13); a6 = a6.addingProduct(v, w1)
                v = x(14); a6 = a6.addingProduct(v, w2); a7 = a7.addingProduct(v, w0)
                v = x(15); a7 = a7.addingProduct(v, w1)
                v = x(16); a7 = a7.addingProduct(v, w2)
            }
            add(rows.0, 0)
            add(rows.1, 1)
            add(rows.2, 2)
            store((a0, a1, a2, a3, a4, a5, a6, a7), out, block: j)
            j &+= 8
        }
        if j < c { stripTail(rows, column: column, stride: 2, out, from: j) }
    }

    /// A strip's eight results for channel block `block...`, clamped, `channels` floats apart.
    @inline(__always)
    private func store(_ a: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>),
                       _ out: UnsafeMutablePointer<Float>, block: Int) {
        typealias V = SIMD8<Float>
        let lo = V(repeating: lower), hi = V(repeating: upper), s = channels &* 4
        let y = UnsafeMutableRawPointer(out + block)
        y.storeBytes(of: a.0.clampedFast(lo, hi), as: V.self)
        y.storeBytes(of: a.1.clampedFast(lo, hi), toByteOffset: s, as: V.self)
        y.storeBytes(of: a.2.clampedFast(lo, hi), toByteOffset: 2 &* s, as: V.self)
        y.storeBytes(of: a.3.clampedFast(lo, hi), toByteOffset: 3 &* s, as: V.self)
        y.storeBytes(of: a.4.clampedFast(lo, hi), toByteOffset: 4 &* s, as: V.self)
        y.storeBytes(of: a.5.clampedFast(lo, hi), toByteOffset: 5 &* s, as: V.self)
        y.storeBytes(of: a.6.clampedFast(lo, hi), toByteOffset: 6 &* s, as: V.self)
        y.storeBytes(of: a.7.clampedFast(lo, hi), toByteOffset: 7 &* s, as: V.self)
    }

    /// A strip's last channels, `first...`, position by position.
    private func stripTail(_ rows: InputRows, column: Int, stride: Int, _ out: UnsafeMutablePointer<Float>, from first: Int) {
        for n in 0..<8 {
            let ix0 = column &+ n &* stride
            tail(input(rows.0, ix0), input(rows.0, ix0 &+ 1), input(rows.0, ix0 &+ 2),
                 input(rows.1, ix0), input(rows.1, ix0 &+ 1), input(rows.1, ix0 &+ 2),
                 input(rows.2, ix0), input(rows.2, ix0 &+ 1), input(rows.2, ix0 &+ 2), out + n &* channels, from: first)
        }
    }

    /// The channels of input column `ix` in a kernel row's input row, or a row of zeros where
    /// the row or the column is in the padding.
    @inline(__always)
    private func input(_ row: UnsafePointer<Float>?, _ ix: Int) -> UnsafePointer<Float> {
        guard let row, ix >= 0, ix < w else { return UnsafePointer(weights.zeros.baseAddress!) }
        return row + ix &* channels
    }

    /// Every channel of one output position from its nine taps' inputs: four blocks of eight at
    /// a time (four independent FMA chains hide the FMA latency), then single blocks, then the
    /// last channels one by one.
    @inline(__always)
    private func taps(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
                      _ x3: UnsafePointer<Float>, _ x4: UnsafePointer<Float>, _ x5: UnsafePointer<Float>,
                      _ x6: UnsafePointer<Float>, _ x7: UnsafePointer<Float>, _ x8: UnsafePointer<Float>,
                      _ out: UnsafeMutablePointer<Float>) {
        let c = channels, ws = weights.stride &* 4
        let k = UnsafeRawPointer(weights.taps.baseAddress!), b = UnsafeRawPointer(weights.bias.baseAddress!)
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        // Two partial sums per block (even and odd taps) double the independent FMA chains.
        @inline(__always) func block(_ j: Int) -> SIMD8<Float> {
            let o = j &* 4
            @inline(__always) func product(_ x: UnsafePointer<Float>, _ tap: Int) -> (SIMD8<Float>, SIMD8<Float>) {
                (UnsafeRawPointer(x).loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self), k.loadUnaligned(fromByteOffset: tap &* ws &+ o, as: SIMD8<Float>.self))
            }
            var even = b.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            var (v, t) = product(x0, 0)
            even = even.addingProduct(v, t)
            (v, t) = product(x1, 1)
            var odd = v * t
            (v, t) = product(x2, 2); even = even.addingProduct(v, t)
            (v, t) = product(x3, 3); odd = odd.addingProduct(v, t)
            (v, t) = product(x4, 4); even = even.addingProduct(v, t)
            (v, t) = product(x5, 5); odd = odd.addingProduct(v, t)
            (v, t) = product(x6, 6); even = even.addingProduct(v, t)
            (v, t) = product(x7, 7); odd = odd.addingProduct(v, t)
            (v, t) = product(x8, 8); even = even.addingProduct(v, t)
            return (even + odd).clampedFast(lo, hi)
        }
        let y = UnsafeMutableRawPointer(out)
        var j = 0
        while j &+ 32 <= c {
            let a0 = block(j), a1 = block(j &+ 8), a2 = block(j &+ 16), a3 = block(j &+ 24)
            y.storeBytes(of: a0, toByteOffset: j &* 4, as: SIMD8<Float>.self)
            y.storeBytes(of: a1, toByteOffset: j &* 4 &+ 32, as: SIMD8<Float>.self)
            y.storeBytes(of: a2, toByteOffset: j &* 4 &+ 64, as: SIMD8<Float>.self)
            y.storeBytes(of: a3, toByteOffset: j &* 4 &+ 96, as: SIMD8<Float>.self)
            j &+= 32
        }
        while j &+ 8 <= c {
            y.storeBytes(of: block(j), toByteOffset: j &* 4, as: SIMD8<Float>.self)
            j &+= 8
        }
        tail(x0, x1, x2, x3, x4, x5, x6, x7, x8, out, from: j)
    }

    /// Channels `first...` of one output position, one at a time.
    private func tail(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
                      _ x3: UnsafePointer<Float>, _ x4: UnsafePointer<Float>, _ x5: UnsafePointer<Float>,
                      _ x6: UnsafePointer<Float>, _ x7: UnsafePointer<Float>, _ x8: UnsafePointer<Float>,
                      _ out: UnsafeMutablePointer<Float>, from first: Int) {
        let c = channels
        var j = first
        let kf = UnsafePointer(weights.taps.baseAddress!), bf = UnsafePointer(weights.bias.baseAddress!), s = weights.stride
        while j < c {
            var acc = bf[j]
            acc = acc.addingProduct(x0[j], kf[j]); acc = acc.addingProduct(x1[j], kf[s &+ j])
            acc = acc.addingProduct(x2[j], kf[2 &* s &+ j]); acc = acc.addingProduct(x3[j], kf[3 &* s &+ j])
            acc = acc.addingProduct(x4[j], kf[4 &* s &+ j]); acc = acc.addingProduct(x5[j], kf[5 &* s &+ j])
            acc = acc.addingProduct(x6[j], kf[6 &* s &+ j]); acc = acc.addingProduct(x7[j], kf[7 &* s &+ j])
            acc = acc.addingProduct(x8[j], kf[8 &* s &+ j])
            out[j] = min(max(acc, lower), upper)
            j &+= 1
        }
    }
}

/// A 3x3 depthwise convolution's weights, laid out once when an engine is made: one row per
/// tap, every channel's weight for that tap together, `taps[tap * stride + c]` with
/// `tap = ky * 3 + kx`. Rows are a few lines longer than the channels, so the nine rows do not
/// sit a power of two apart.
final class DepthwiseWeights: @unchecked Sendable {
    let stride: Int
    let taps: UnsafeMutableBufferPointer<Float>
    let bias: UnsafeMutableBufferPointer<Float>
    /// `C` zeros: what a tap in the padding reads.
    let zeros: UnsafeMutableBufferPointer<Float>

    /// `weight` is `[C, 1, 3, 3]`, `bias` `[C]` or absent.
    init(weight: Tensor, bias: Tensor?) {
        let channels = weight.shape[0]
        stride = channels + 16
        taps = .allocateAligned(capacity: 9 * stride)
        taps.initialize(repeating: 0)
        for c in 0..<channels {
            for tap in 0..<9 { taps[tap * stride + c] = weight.data[c * 9 + tap] }
        }
        self.bias = .allocateAligned(capacity: channels)
        for c in 0..<channels { self.bias[c] = bias?.data[c] ?? 0 }
        zeros = .allocateAligned(capacity: channels)
        zeros.initialize(repeating: 0)
    }

    deinit {
        taps.deallocate()
        bias.deallocate()
        zeros.deallocate()
    }
}
