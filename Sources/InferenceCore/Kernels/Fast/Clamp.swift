extension SIMD8 where Scalar == Float {
    /// `min(max(self, lower), upper)` lane by lane, NaN kept: one `vmaxps` and one `vminps`. (The
    /// upper bound compared against `self` rather than the raised value compiled to a compare and
    /// a blend after the `vmaxps`, one more instruction in every tile's epilogue.)
    @inline(__always)
    func clampedFast(_ lower: Self, _ upper: Self) -> Self {
        let raised = replacing(with: lower, where: self .< lower)
        return raised.replacing(with: upper, where: raised .> upper)
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
