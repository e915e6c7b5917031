/// One node made ready to run: shapes resolved, constants it reads turned into whatever layout
/// its kernel wants. Built once per plan; `run` reads input buffers and writes its output buffer,
/// allocating nothing.
///
/// The reference kernels (`Kernels/Reference`) are the simple, obviously correct versions that
/// every test compares against; faster kernels implement the same protocol.
protocol PreparedKernel: Sendable {
    /// How the kernel wants its first input, and how it writes its output, when they are rank-4
    /// activations. The plan converts between orders where a producer and a consumer differ.
    var inputOrder: ActivationOrder { get }
    var outputOrder: ActivationOrder { get }
    /// Whether the kernel works on its input in either order and writes its output in the same
    /// one (element-wise kernels): the plan then feeds it whatever it holds.
    var preservesOrder: Bool { get }
    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>)
}

extension PreparedKernel {
    var inputOrder: ActivationOrder { .channelsFirst }
    var outputOrder: ActivationOrder { inputOrder }
    var preservesOrder: Bool { false }
}

/// The memory order of a rank-4 activation inside a plan. The graph always speaks of
/// channels-first (`[N, C, H, W]`) shapes; the fast convolution kernels hold the same values
/// channels-last (`[N, H, W, C]` in memory), where a pointwise convolution is one GEMM and a
/// depthwise convolution runs across channels in SIMD.
enum ActivationOrder: Sendable {
    case channelsFirst
    case channelsLast

}
