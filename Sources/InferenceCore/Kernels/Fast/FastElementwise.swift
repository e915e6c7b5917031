import MobileNetIR

/// `min(max(x, lower), upper)` eight values at a time, in whatever order the input is held.
struct FastActivation: PreparedKernel {
    let lower, upper: Float
    var preservesOrder: Bool { true }

    init(activation: Activation) { (lower, upper) = activation.bounds }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0].baseAddress!, y = output.baseAddress!, count = output.count
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        var i = 0
        while i &+ 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v.clampedFast(lo, hi), as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < count {
            y[i] = min(max(x[i], lower), upper)
            i &+= 1
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
    var inputOrder: ActivationOrder { .channelsLast }
    var preservesOrder: Bool { scalar }

    /// The kernel for `node` when it fits: `shapes` are the operands', `constants` the graph's.
    static func make(op: BinaryOp, node: Node, shapes: [[Int]], output: [Int], constants: [String: Tensor]) -> FastChannelBinary? {
        guard node.inputs.count == 2, output.count == 4 else { return nil }
        for (activation, other) in [(0, 1), (1, 0)] {
            guard let b = constants[node.inputs[other]], shapes[activation] == output else { continue }
            let aligned = Array(repeating: 1, count: max(0, 4 - b.rank)) + b.shape
            guard aligned.count == 4, aligned[0] == 1, aligned[2] == 1, aligned[3] == 1, aligned[1] == 1 || aligned[1] == output[1] else { continue }
            let scalar = b.count == 1
            return FastChannelBinary(op: op, channels: output[1], constant: scalar ? Array(repeating: b.data[0], count: output[1]) : b.data,
                                     constantFirst: other == 0, scalar: scalar, activationIndex: activation)
        }
        return nil
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[activationIndex].baseAddress!, y = output.baseAddress!
        let positions = output.count / channels
        constant.withUnsafeBufferPointer { b in
            for p in 0..<positions {
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

/// Constant padding of height and width, channels-last: rows of the output are the input's rows
/// with `left` and `right` positions of the pad value around them, and whole rows of it above
/// and below.
struct FastPad: PreparedKernel {
    let batch, channels, h, w: Int
    let top, left, bottom, right: Int
    let value: Float
    var inputOrder: ActivationOrder { .channelsLast }

    /// `pads` in the IR's order for a rank-4 `[N, C, H, W]` input, when they pad only H and W.
    init?(input: [Int], pads: [Int], value: Float) {
        guard input.count == 4, pads.count == 8, pads.allSatisfy({ $0 >= 0 }),
              pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0 else { return nil }
        (batch, channels, h, w) = (input[0], input[1], input[2], input[3])
        (top, left, bottom, right) = (pads[2], pads[3], pads[6], pads[7])
        self.value = value
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let ow = w + left + right, oh = h + top + bottom
        let rowLength = ow * channels
        var y = output.baseAddress!
        var x = inputs[0].baseAddress!
        for _ in 0..<batch {
            for oy in 0..<oh {
                if oy < top || oy >= top + h {
                    y.update(repeating: value, count: rowLength)
                } else {
                    y.update(repeating: value, count: left * channels)
                    (y + left * channels).update(from: x, count: w * channels)
                    (y + (left + w) * channels).update(repeating: value, count: right * channels)
                    x += w * channels
                }
                y += rowLength
            }
        }
    }
}
