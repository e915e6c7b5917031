extension SIMD8 where Scalar == Float {
    /// `min(max(self, lower), upper)` lane by lane, as compare-and-blend on one ymm register.
    @inline(__always)
    func clampedFast(_ lower: Self, _ upper: Self) -> Self {
        replacing(with: lower, where: self .< lower).replacing(with: upper, where: self .> upper)
    }
}

extension SIMD16 where Scalar == Float {
    /// `min(max(self, lower), upper)` lane by lane. The standard library's `clamped` and sixteen-lane
    /// mask comparisons are scalarised under AVX2 (about a thousand cycles); two eight-lane halves
    /// compile to compare-and-blend instructions.
    @inline(__always)
    func clampedFast(_ lower: Self, _ upper: Self) -> Self {
        Self(lowHalf: lowHalf.clampedFast(lower.lowHalf, upper.lowHalf), highHalf: highHalf.clampedFast(lower.highHalf, upper.highHalf))
    }
}
