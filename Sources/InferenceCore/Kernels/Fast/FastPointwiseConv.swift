import MobileNetIR

/// 1x1 stride-1 convolution without padding or groups (95 % of MobileNetV1's work), as a GEMM over
/// prepacked weights with bias and activation in the epilogue. Work is split over threads by
/// output-channel blocks when positions are few (deep layers) and by columns otherwise.
final class FastPointwiseConv: PreparedKernel, @unchecked Sendable {
    let weights: PackedWeights
    let batch, positions: Int
    let lower, upper: Float
    let threads: Int
    /// One packing panel per thread.
    let panels: UnsafeMutableBufferPointer<Float>

    init(input: [Int], weight: Tensor, bias: Tensor?, activation: Activation, threads: Int) {
        batch = input[0]
        positions = input[2] * input[3]
        weights = PackedWeights(weight: weight.data, outputs: weight.shape[0], depth: weight.shape[1], bias: bias?.data ?? [])
        (lower, upper) = activation.bounds
        let work = weight.shape[0] * weight.shape[1] * positions
        self.threads = work < 1 << 18 ? 1 : threads
        panels = .allocate(capacity: FastGEMM.scratch(depth: weight.shape[1]) * self.threads)
    }

    deinit {
        weights.deallocate()
        panels.deallocate()
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = SendableConstPointer(base: inputs[0].baseAddress!), c = SendablePointer(base: output.baseAddress!)
        let scratch = SendablePointer(base: panels.baseAddress!), perThread = FastGEMM.scratch(depth: weights.depth)
        let (k, o, p) = (weights.depth, weights.outputs, positions)
        for n in 0..<batch {
            let xb = SendableConstPointer(base: x.base + n * k * p), cb = SendablePointer(base: c.base + n * o * p)
            if threads <= 1 {
                FastGEMM.run(weights, x: xb.base, c: cb.base, positions: p, blocks: 0..<weights.blocks, columns: 0..<p,
                             lower: lower, upper: upper, panel: scratch.base)
                continue
            }
            let byColumns = p >= 64 * threads
            let tasks = threads
            let w = weights, lo = lower, hi = upper
            parallelFor(tasks, threads: threads) { task in
                if byColumns {
                    let chunk = ((p + tasks - 1) / tasks + 15) / 16 * 16
                    let start = min(p, task * chunk), end = min(p, start + chunk)
                    FastGEMM.run(w, x: xb.base, c: cb.base, positions: p, blocks: 0..<w.blocks, columns: start..<end,
                                 lower: lo, upper: hi, panel: scratch.base + task * perThread)
                } else {
                    let chunk = (w.blocks + tasks - 1) / tasks
                    let start = min(w.blocks, task * chunk), end = min(w.blocks, start + chunk)
                    FastGEMM.run(w, x: xb.base, c: cb.base, positions: p, blocks: start..<end, columns: 0..<p,
                                 lower: lo, upper: hi, panel: scratch.base + task * perThread)
                }
            }
        }
    }
}
