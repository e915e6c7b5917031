import Dispatch

/// Measures the machine's fp32 FMA throughput the way the kernels use it (SIMD16 FMAs with
/// independent accumulators), so benchmarks can report a percentage of what is really available.
public enum PeakMeter {
    /// GFLOP/s (two per FMA) on `threads` threads, from `iterations` steps of six FMAs on each.
    public static func measure(threads: Int, iterations: Int = 4_000_000) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        let sink = SendablePointer(base: UnsafeMutablePointer<Float>.allocate(capacity: max(threads, 1)))
        defer { sink.base.deallocate() }
        parallelFor(max(threads, 1), threads: threads) { task in
            var a0 = SIMD16<Float>(repeating: 1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
            let m = SIMD16<Float>(repeating: 0.999_999), c = SIMD16<Float>(repeating: 1e-7)
            for _ in 0..<iterations {
                a0 = a0.addingProduct(m, c); a1 = a1.addingProduct(m, c); a2 = a2.addingProduct(m, c)
                a3 = a3.addingProduct(m, c); a4 = a4.addingProduct(m, c); a5 = a5.addingProduct(m, c)
            }
            sink.base[task] = (a0 + a1 + a2 + a3 + a4 + a5).sum()
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(max(threads, 1)) * Double(iterations) * 6 * 16 * 2 / seconds / 1e9
    }
}
