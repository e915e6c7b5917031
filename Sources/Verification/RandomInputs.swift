import MobileNetIR

/// Seeded inputs for verification: the same seed gives the same tensors on every machine.
///
/// Values are uniform in [-1, 1), the range MobileNet's preprocessing produces.
public struct RandomInputs: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// SplitMix64: small, fast, and fully specified, unlike the platform's generators.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A tensor of `shape` with values uniform in [-1, 1).
    public mutating func tensor(shape: [Int]) -> Tensor {
        let data = (0..<shape.reduce(1, *)).map { _ in Float(next() >> 40) / Float(1 << 23) - 1 }
        return Tensor(shape: shape, data: data)
    }
}
