import MobileNetIR

/// `min(max(x, lower), upper)` element by element.
struct ReferenceActivation: PreparedKernel {
    let bounds: (lower: Float, upper: Float)

    init(activation: Activation) { bounds = activation.bounds }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        for i in output.indices { output[i] = min(max(inputs[0][i], bounds.lower), bounds.upper) }
    }
}

/// Inference BatchNorm over axis 1 of `[N, C, ...]`: `(x - mean) * scale / sqrt(variance + eps) + bias`,
/// the factor computed in `Double`.
struct ReferenceBatchNorm: PreparedKernel {
    let outer, channels, inner: Int
    let epsilon: Float

    init(shape: [Int], epsilon: Float) {
        outer = shape[0]
        channels = shape[1]
        inner = shape.dropFirst(2).reduce(1, *)
        self.epsilon = epsilon
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0], scale = inputs[1], bias = inputs[2], mean = inputs[3], variance = inputs[4]
        for c in 0..<channels {
            let factor = Float(Double(scale[c]) / (Double(variance[c]) + Double(epsilon)).squareRoot())
            for n in 0..<outer {
                let base = (n * channels + c) * inner
                for i in base..<(base + inner) { output[i] = (x[i] - mean[c]) * factor + bias[c] }
            }
        }
    }
}

/// Per-channel `x * scale[c] + shift[c]` over axis 1 of `[N, C, ...]`.
struct ReferenceAffine: PreparedKernel {
    let outer, channels, inner: Int

    init(shape: [Int]) {
        outer = shape[0]
        channels = shape[1]
        inner = shape.dropFirst(2).reduce(1, *)
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0], scale = inputs[1], shift = inputs[2]
        for n in 0..<outer {
            for c in 0..<channels {
                let base = (n * channels + c) * inner
                for i in base..<(base + inner) { output[i] = x[i] * scale[c] + shift[c] }
            }
        }
    }
}

/// Element-wise arithmetic with numpy broadcasting.
struct ReferenceBinary: PreparedKernel {
    let op: BinaryOp
    let outShape: [Int]
    let aStrides, bStrides: [Int]

    init(op: BinaryOp, a: [Int], b: [Int], output: [Int]) {
        self.op = op
        outShape = output
        aStrides = broadcastStrides(a, rank: output.count)
        bStrides = broadcastStrides(b, rank: output.count)
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let a = inputs[0], b = inputs[1]
        forEachIndex(outShape) { i, index in
            var ia = 0, ib = 0
            for axis in index.indices {
                ia += index[axis] * aStrides[axis]
                ib += index[axis] * bStrides[axis]
            }
            let (u, v) = (a[ia], b[ib])
            switch op {
            case .add: output[i] = u + v
            case .sub: output[i] = u - v
            case .mul: output[i] = u * v
            case .div: output[i] = u / v
            }
        }
    }
}
