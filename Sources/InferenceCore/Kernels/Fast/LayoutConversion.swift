/// Moves a rank-4 activation between channels-first and channels-last memory order: per image,
/// a transpose of `[C, H * W]` to `[H * W, C]` or back, in 8 x 8 blocks so both sides stay in cache.
struct LayoutConversion: PreparedKernel {
    let batch, channels, positions: Int
    let target: ActivationOrder
    var inputOrder: ActivationOrder { target == .channelsLast ? .channelsFirst : .channelsLast }
    var outputOrder: ActivationOrder { target }

    /// `shape` is `[N, C, H, W]`; the input is in the other order than `target`.
    init(shape: [Int], to target: ActivationOrder) {
        (batch, channels, positions) = (shape[0], shape[1], shape[2] * shape[3])
        self.target = target
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        // Channels-first to channels-last transposes [C, P]; the way back transposes [P, C].
        let (rows, columns) = target == .channelsLast ? (channels, positions) : (positions, channels)
        for n in 0..<batch {
            let x = inputs[0].baseAddress! + n &* rows &* columns, y = output.baseAddress! + n &* rows &* columns
            var r0 = 0
            while r0 < rows {
                let r1 = min(rows, r0 &+ 8)
                var c0 = 0
                while c0 < columns {
                    let c1 = min(columns, c0 &+ 8)
                    for r in r0..<r1 {
                        for c in c0..<c1 { y[c &* rows &+ r] = x[r &* columns &+ c] }
                    }
                    c0 = c1
                }
                r0 = r1
            }
        }
    }
}
