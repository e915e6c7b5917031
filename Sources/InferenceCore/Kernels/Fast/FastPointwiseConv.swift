import MobileNetIR

/// 1x1 stride-1 convolution without padding or groups (95 % of MobileNetV1's work), channels-last:
/// the `[N * H * W, C]` activation times the packed weights is one GEMM, with bias and activation
/// in the epilogue.
final class FastPointwiseConv: PreparedKernel, @unchecked Sendable {
    let weights: PackedPanels
    let rows: Int
    let lower, upper: Float
    let threads: Int
    var inputOrder: ActivationOrder { .channelsLast }

    /// `input` is `[N, C, H, W]`; `weight` is `[O, C, 1, 1]`.
    init(input: [Int], weight: Tensor, bias: Tensor?, activation: Activation, threads: Int) {
        rows = input[0] * input[2] * input[3]
        let depth = weight.shape[1]
        weights = weight.data.withUnsafeBufferPointer { w in
            PackedPanels(outputs: weight.shape[0], depth: depth, bias: bias?.data ?? []) { o, k in w[o * depth + k] }
        }
        (lower, upper) = activation.bounds
        self.threads = threads
    }

    deinit { weights.deallocate() }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        FastGEMM.run(weights, a: inputs[0].baseAddress!, lda: weights.depth, rows: rows, c: output.baseAddress!,
                     ldc: weights.outputs, lower: lower, upper: upper, threads: threads)
    }
}
