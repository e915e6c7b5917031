import MobileNetIR

/// Values per thread below which an element-wise kernel stays on one (64 KiB of fp32).
let elementwiseGrain = 1 << 14

/// `min(max(x, lower), upper)` eight values at a time, in whatever order the input is held.
struct FastActivation: PreparedKernel {
    let lower, upper: Float
    let threads: Int
    var preservesOrder: Bool { true }

    init(activation: Activation, threads: Int) {
        (lower, upper) = activation.bounds
        self.threads = threads
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = SendableConstPointer(base: inputs[0].baseAddress!), y = SendablePointer(base: output.baseAddress!)
        let (lower, upper) = (lower, upper)
        parallelRanges(output.count, threads: threads, grain: elementwiseGrain) { range in
            let x = x.base, y = y.base
            let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
            var i = range.lowerBound
            while i &+ 8 <= range.upperBound {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(y + i).storeBytes(of: v.clampedFast(lo, hi), as: SIMD8<Float>.self)
                i &+= 8
            }
            while i < range.upperBound {
                y[i] = min(max(x[i], lower), upper)
                i &+= 1
            }
        }
    }
}

/// Arithmetic between a rank-4 activation and a constant that is one value per channel (shape
/// `[1, C, 1, 1]` or `[C, 1, 1]`) or a single value: how importers see an unfolded BatchNorm
/// (`Mul`, `Add`). Channels-last, the constant broadcasts along the innermost axis; a single
/// value works in either order.
struct FastChannelBinary: PreparedKernel {
    let op: BinaryOp
    let channels: Int
    /// The constant, one value per channel (repeated when it is a single value).
    let constant: [Float]
    /// `constant op x` rather than `x op constant`.
    let constantFirst: Bool
    let scalar: Bool
    /// Which operand is the activation.
    let activationIndex: Int
    let threads: Int
    var inputOrder: ActivationOrder { .channelsLast }
    var preservesOrder: Bool { scalar }

    /// The kernel for `node` when it fits: `shapes` are the operands', `constants` the graph's.
    static func make(op: BinaryOp, node: Node, shapes: [[Int]], output: [Int], constants: [String: Tensor],
                     threads: Int) -> FastChannelBinary? {
        guard node.inputs.count == 2, output.count == 4 else { return nil }
        for (activation, other) in [(0, 1), (1, 0)] {
            guard let b = constants[node.inputs[other]], shapes[activation] == output else { continue }
            let aligned = Array(repeating: 1, count: max(0, 4 - b.rank)) + b.shape
            guard aligned.count == 4, aligned[0] == 1, aligned[2] == 1, aligned[3] == 1, aligned[1] == 1 || aligned[1] == output[1] else { continue }
            let scalar = b.count == 1
            return FastChannelBinary(op: op, channels: output[1], constant: scalar ? Array(repeating: b.data[0], count: output[1]) : b.data,
                                     constantFirst: other == 0, scalar: scalar, activationIndex: activation, threads: threads)
        }
        return nil
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = SendableConstPointer(base: inputs[activationIndex].baseAddress!), y = SendablePointer(base: output.baseAddress!)
        let channels = channels
        parallelRanges(output.count / channels, threads: threads, grain: max(1, elementwiseGrain / channels)) { positions in
            let x = x.base, y = y.base
            constant.withUnsafeBufferPointer { b in
                for p in positions {
                    let row = p &* channels
                    var c = 0
                    while c &+ 8 <= channels {
                        let v = UnsafeRawPointer(x + (row &+ c)).loadUnaligned(as: SIMD8<Float>.self)
                        let k = UnsafeRawPointer(b.baseAddress! + c).loadUnaligned(as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(y + (row &+ c)).storeBytes(of: apply(v, k), as: SIMD8<Float>.self)
                        c &+= 8
                    }
                    while c < channels {
                        y[row &+ c] = apply(SIMD8(repeating: x[row &+ c]), SIMD8(repeating: b[c]))[0]
                        c &+= 1
                    }
                }
            }
        }
    }

    @inline(__always)
    private func apply(_ v: SIMD8<Float>, _ k: SIMD8<Float>) -> SIMD8<Float> {
        let (u, w) = constantFirst ? (k, v) : (v, k)
        switch op {
        case .add: return u + w
        case .sub: return u - w
        case .mul: return u * w
        case .div: return u / w
        }
    }
}

/// Per-channel `(x - mean[c]) * factor[c] + shift[c]` on a channels-last activation: an unfolded
/// `batchNorm` (`factor = scale / sqrt(variance + epsilon)`, formed in double as the reference
/// kernel forms it) or an `affine` (`mean` 0, and `x - 0` is `x`). Each value goes through the
/// same operations in the same order as in the reference kernels, so the results are theirs
/// bit for bit; without it an imported graph's batch norms ran channels-first, two layout
/// conversions each.
struct FastChannelAffine: PreparedKernel {
    let channels: Int
    let mean, factor, shift: [Float]
    let threads: Int
    var inputOrder: ActivationOrder { .channelsLast }

    /// The kernel for a `batchNorm` or `affine` node whose per-channel operands are constants
    /// of one value per channel of a rank-4 output.
    static func make(_ node: Node, output: [Int], constants: [String: Tensor], threads: Int) -> FastChannelAffine? {
        guard output.count == 4 else { return nil }
        let channels = output[1]
        let operands = node.inputs.dropFirst().map { constants[$0] }
        guard operands.allSatisfy({ $0?.count == channels }) else { return nil }
        let values = operands.map { $0!.data }
        switch node.op {
        case .batchNorm(let epsilon) where values.count == 4:
            let (scale, bias, mean, variance) = (values[0], values[1], values[2], values[3])
            let factor = (0..<channels).map { c in Float(Double(scale[c]) / (Double(variance[c]) + Double(epsilon)).squareRoot()) }
            return FastChannelAffine(channels: channels, mean: mean, factor: factor, shift: bias, threads: threads)
        case .affine where values.count == 2:
            return FastChannelAffine(channels: channels, mean: Array(repeating: 0, count: channels), factor: values[0], shift: values[1],
                                     threads: threads)
        default:
            return nil
        }
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = SendableConstPointer(base: inputs[0].baseAddress!), y = SendablePointer(base: output.baseAddress!)
        let (channels, mean, factor, shift) = (channels, mean, factor, shift)
        parallelRanges(output.count / channels, threads: threads, grain: max(1, elementwiseGrain / channels)) { positions in
            let x = x.base, y = y.base
            mean.withUnsafeBufferPointer { m in
                factor.withUnsafeBufferPointer { f in
                    shift.withUnsafeBufferPointer { b in
                        let (m, f, b) = (m.baseAddress!, f.baseAddress!, b.baseAddress!)
                        for p in positions {
                            let row = p &* channels
                            var c = 0
                            while c &+ 8 <= channels {
                                let v = UnsafeRawPointer(x + (row &+ c)).loadUnaligned(as: SIMD8<Float>.self)
                                let mc = UnsafeRawPointer(m + c).loadUnaligned(as: SIMD8<Float>.self)
                                let fc = UnsafeRawPointer(f + c).loadUnaligned(as: SIMD8<Float>.self)
                                let bc = UnsafeRawPointer(b + c).loadUnaligned(as: SIMD8<Float>.self)
                                UnsafeMutableRawPointer(y + (row &+ c)).storeBytes(of: (v - mc) * fc + bc, as: SIMD8<Float>.self)
                                c &+= 8
                            }
                            while c < channels {
                                y[row &+ c] = (x[row &+ c] - m[c]) * f[c] + b[c]
                                c &+= 1
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Constant padding of height and width, channels-last: rows of the output are the input's rows
/// with `left` and `right` positions of the pad value around them, and whole rows of it above
/// and below.
struct FastPad: PreparedKernel {
    let batch, channels, h, w: Int
    let top, left, bottom, right: Int
    let value: Float
    let threads: Int
    var inputOrder: ActivationOrder { .channelsLast }

    /// `pads` in the IR's order for a rank-4 `[N, C, H, W]` input, when they pad only H and W.
    init?(input: [Int], pads: [Int], value: Float, threads: Int) {
        guard input.count == 4, pads.count == 8, pads.allSatisfy({ $0 >= 0 }),
              pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0 else { return nil }
        (batch, channels, h, w) = (input[0], input[1], input[2], input[3])
        (top, left, bottom, right) = (pads[2], pads[3], pads[6], pads[7])
        self.value = value
        self.threads = threads
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let ow = w + left + right, oh = h + top + bottom
        let rowLength = ow * channels
        let x = SendableConstPointer(base: inputs[0].baseAddress!), y = SendablePointer(base: output.baseAddress!)
        let (channels, h, w, top, left, right, value) = (channels, h, w, top, left, right, value)
        // Output rows of all images, each written whole: padding, or the input row between padding.
        parallelRanges(batch * oh, threads: threads, grain: max(1, elementwiseGrain / max(rowLength, 1))) { rows in
            for row in rows {
                let n = row / oh, oy = row % oh
                let out = y.base + row * rowLength
                if oy < top || oy >= top + h {
                    out.update(repeating: value, count: rowLength)
                } else {
                    out.update(repeating: value, count: left * channels)
                    (out + left * channels).update(from: x.base + ((n * h + oy - top) * w) * channels, count: w * channels)
                    (out + (left + w) * channels).update(repeating: value, count: right * channels)
                }
            }
        }
    }
}
