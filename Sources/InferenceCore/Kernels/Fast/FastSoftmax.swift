/// Softmax over a contiguous span (the classifier's scores: the last axis, or every axis from
/// `axis` on when coerced), eight lanes at a time: the span's maximum, `exp(x - max)` by
/// `FastSoftmax.exp`, then one reciprocal of their sum. `ReferenceSoftmax` calls the C library's
/// `exp` a value at a time and sums in `Double`: 9-11 us for 1000 scores in the networks, against
/// 1-2 us here.
struct FastSoftmax: PreparedKernel {
    let spans, length: Int

    /// `length` contiguous values make one softmax; `spans` of them follow each other.
    init(spans: Int, length: Int) {
        self.spans = spans
        self.length = length
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        typealias V = SIMD8<Float>
        let vectorLength = length & ~7
        for span in 0..<spans {
            let x = inputs[0].baseAddress! + span &* length, y = output.baseAddress! + span &* length
            @inline(__always) func load(_ i: Int) -> V { UnsafeRawPointer(x + i).loadUnaligned(as: V.self) }
            var maxima = V(repeating: -.infinity)
            var i = 0
            while i < vectorLength {
                let v = load(i)
                maxima = maxima.replacing(with: v, where: v .> maxima)
                i &+= 8
            }
            var maximum = maxima[0]
            for lane in 1..<8 { maximum = Swift.max(maximum, maxima[lane]) }
            for j in vectorLength..<length { maximum = Swift.max(maximum, x[j]) }
            var sums = V()
            i = 0
            while i < vectorLength {
                let e = Self.exp(load(i) - V(repeating: maximum))
                UnsafeMutableRawPointer(y + i).storeBytes(of: e, as: V.self)
                sums += e
                i &+= 8
            }
            var sum: Float = 0
            for lane in 0..<8 { sum += sums[lane] }
            for j in vectorLength..<length {
                let e = Self.exp(V(repeating: x[j] - maximum))[0]
                y[j] = e
                sum += e
            }
            let scale = 1 / sum
            for j in 0..<length { y[j] *= scale }
        }
    }

    /// `e^x` lane by lane for `x <= 0`, to a few units in the last place: `x = n ln 2 + r` with
    /// `|r| <= ln 2 / 2` (`ln 2` in two parts, so `r` keeps its precision), `e^r` by its Taylor
    /// series up to `r^7` (the remainder is below 1e-8 of the result), and `2^n` built in the
    /// exponent bits. `n` is rounded by adding 1.5 * 2^23, which leaves it in the low bits of the
    /// sum. Below -87 the result stays at about 1.6e-38 instead of going subnormal (a
    /// probability that small is zero to any reader); NaN stays NaN.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        let x = x.replacing(with: -87, where: x .< -87)
        let shifter: Float = 12_582_912
        let t = V(repeating: shifter).addingProduct(x, V(repeating: 1.442_695_04))
        let n = t - V(repeating: shifter)
        let r = x.addingProduct(n, V(repeating: -0.693_359_375)).addingProduct(n, V(repeating: 2.121_944_4e-4))
        var p = V(repeating: 1.0 / 5040)
        p = V(repeating: 1.0 / 720).addingProduct(p, r)
        p = V(repeating: 1.0 / 120).addingProduct(p, r)
        p = V(repeating: 1.0 / 24).addingProduct(p, r)
        p = V(repeating: 1.0 / 6).addingProduct(p, r)
        p = V(repeating: 0.5).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        let integer = unsafeBitCast(t, to: SIMD8<Int32>.self) &- SIMD8<Int32>(repeating: Int32(bitPattern: shifter.bitPattern))
        return p * unsafeBitCast((integer &+ 127) &<< 23, to: V.self)
    }
}
