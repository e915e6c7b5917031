import MobileNetIR

/// 1x1 stride-1 convolution without padding or groups (95 % of MobileNetV1's work), channels-last:
/// the `[N * H * W, C]` activation times the packed weights is one GEMM, with bias and activation
/// in the epilogue.
final class FastPointwiseConv: PreparedKernel, @unchecked Sendable {
    let weights: GEMMWeights
    let rows: Int
    let lower, upper: Float
    let threads: Int
    var inputOrder: ActivationOrder { .channelsLast }

    /// `input` is `[N, C, H, W]`; `weights` were packed from `[O, C, 1, 1]` as `[O, C]`.
    init(input: [Int], weights: GEMMWeights, activation: Activation, threads: Int) {
        rows = input[0] * input[2] * input[3]
        self.weights = weights
        (lower, upper) = activation.bounds
        self.threads = threads
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let w = weights.panels
        FastGEMM.run(w, a: inputs[0].baseAddress!, lda: w.depth, rows: rows, c: output.baseAddress!,
                     ldc: w.outputs, lower: lower, upper: upper, threads: threads)
    }
}
