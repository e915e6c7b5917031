import MobileNetIR

/// A 3x3 depthwise convolution and the pointwise convolution that alone reads its output, run
/// together in bands of output rows (channels-last in, channels-last out). Each band's depthwise
/// rows go to a scratch band of the thread's own, a few tens of KiB that stay in L1 and L2, and
/// the GEMM reads them from there: the depthwise output, 0.4-1.6 MB a layer on 1.0-224's large
/// images, is never written to memory and read back. Threads split the output rows evenly and
/// run their bands one after the other; a thread's band is the smallest number of rows whose
/// positions fill whole six-row tiles, doubled until it holds 24 KiB.
///
/// The plan fuses a pair when the depthwise output has at least 28 x 28 positions. On 1.0-224
/// (its five pairs from 112 x 112 to 28 x 28) the whole inference measured 16.16 against 16.67 ms
/// on one thread and 10.74 against 11.54 ms on two (medians of 16 alternating rounds); on the
/// 14 x 14 and 7 x 7 pairs, whose activations stay in L2 anyway, fusing was level on one thread
/// and slower on two.
final class FastDepthwisePointwise: PreparedKernel, @unchecked Sendable {
    let depthwise: FastDepthwiseConv
    let pointwise: FastPointwiseConv
    /// Output rows per band.
    let band: Int
    let threads: Int
    /// `threads` bands of `[band * ow, C]` depthwise results.
    let scratch: UnsafeMutableBufferPointer<Float>
    var inputOrder: ActivationOrder { .channelsLast }

    /// Whether the plan fuses `depthwise` into the `pointwise` layer that reads it.
    static func worthFusing(_ depthwise: FastDepthwiseConv) -> Bool {
        depthwise.oh * depthwise.ow >= 28 * 28
    }

    init(depthwise: FastDepthwiseConv, pointwise: FastPointwiseConv, threads: Int) {
        self.depthwise = depthwise
        self.pointwise = pointwise
        let rowBytes = depthwise.ow * depthwise.channels * MemoryLayout<Float>.stride
        var band = 1
        while band * depthwise.ow % FastGEMM.rowsPerTile != 0 { band += 1 }
        while band * rowBytes < 24 * 1024 && band < depthwise.oh { band *= 2 }
        self.band = band
        let rows = depthwise.batch * depthwise.oh
        self.threads = max(1, min(threads, rows / band))
        scratch = .allocateAligned(capacity: self.threads * band * depthwise.ow * depthwise.channels)
    }

    deinit { scratch.deallocate() }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = SendableConstPointer(base: inputs[0].baseAddress!), y = SendablePointer(base: output.baseAddress!)
        let rows = depthwise.batch * depthwise.oh
        parallelFor(threads, threads: threads) { task in
            let chunk = (rows + self.threads - 1) / self.threads
            let end = min(rows, (task + 1) * chunk)
            for first in stride(from: task * chunk, to: end, by: self.band) {
                self.band(rows: first..<min(end, first + self.band), x.base, y.base, slot: task)
            }
        }
    }

    /// Output rows `rows` (counted over all images): the depthwise rows into scratch band `slot`,
    /// then the GEMM from there into `y`.
    private func band(rows: Range<Int>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, slot: Int) {
        let dw = depthwise, w = pointwise.weights.panels
        let rowFloats = dw.ow * dw.channels
        let a = scratch.baseAddress! + slot * band * rowFloats
        for row in rows {
            let (n, oy) = row.quotientAndRemainder(dividingBy: dw.oh)
            dw.row(x + n * dw.h * dw.w * dw.channels, a + (row - rows.lowerBound) * rowFloats, oy: oy)
        }
        FastGEMM.run(w, a: UnsafePointer(a), lda: w.depth, rows: 0..<(rows.count * dw.ow), panels: 0..<w.panels,
                     c: y + rows.lowerBound * dw.ow * w.outputs, ldc: w.outputs, lower: pointwise.lower, upper: pointwise.upper)
    }
}
