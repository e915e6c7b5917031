import MobileNetIR

/// Fully connected over the last axis (`x [..., K]`, constant `weight [O, K]`, optional
/// `bias [O]`): the rows of `x` times the packed weights, one GEMM.
final class FastDense: PreparedKernel, @unchecked Sendable {
    let weights: PackedPanels
    let rows: Int
    let threads: Int

    init(input: [Int], weight: Tensor, bias: Tensor?, threads: Int) {
        let depth = weight.shape[1]
        rows = input.dropLast().reduce(1, *)
        weights = weight.data.withUnsafeBufferPointer { w in
            PackedPanels(outputs: weight.shape[0], depth: depth, bias: bias?.data ?? []) { o, k in w[o * depth + k] }
        }
        self.threads = threads
    }

    deinit { weights.deallocate() }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        FastGEMM.run(weights, a: inputs[0].baseAddress!, lda: weights.depth, rows: rows, c: output.baseAddress!,
                     ldc: weights.outputs, lower: -.infinity, upper: .infinity, threads: threads)
    }
}
