/// A rank-4 transpose between channels-last and channels-first shapes, which moves nothing: the
/// values of an `[N, H, W, C]` tensor held channels-first (as its shape says) are those of its
/// `[N, C, H, W]` transpose held channels-last, byte for byte. So `perm [0, 3, 1, 2]` (how
/// NHWC-fed graphs start) is a copy into a channels-last output, and `perm [0, 2, 3, 1]` a copy
/// of a channels-last input into a channels-first output.
struct OrderTranspose: PreparedKernel {
    let inputOrder: ActivationOrder
    let outputOrder: ActivationOrder

    /// The kernel for a rank-4 `perm` that only moves the channel axis, nil for any other.
    init?(perm: [Int]) {
        switch perm {
        case [0, 3, 1, 2]: (inputOrder, outputOrder) = (.channelsFirst, .channelsLast)
        case [0, 2, 3, 1]: (inputOrder, outputOrder) = (.channelsLast, .channelsFirst)
        default: return nil
        }
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        _ = output.initialize(from: inputs[0])
    }
}
