import MobileNetIR

/// Fully connected over the last axis (`x [..., K]`, constant `weight [O, K]`, optional
/// `bias [O]`): the rows of `x` times the packed weights, one GEMM.
final class FastDense: PreparedKernel, @unchecked Sendable {
    let weights: GEMMWeights
    let rows: Int
    let threads: Int

    init(input: [Int], weights: GEMMWeights, threads: Int) {
        rows = input.dropLast().reduce(1, *)
        self.weights = weights
        self.threads = threads
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let w = weights.panels
        FastGEMM.run(w, a: inputs[0].baseAddress!, lda: w.depth, rows: rows, c: output.baseAddress!,
                     ldc: w.outputs, lower: -.infinity, upper: .infinity, threads: threads)
    }
}
