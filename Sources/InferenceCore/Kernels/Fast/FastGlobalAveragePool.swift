/// Mean over positions of a channels-last `[N, H, W, C]` activation, eight channels at a time.
/// The output `[N, C, 1, 1]` has the same bytes in either order.
struct FastGlobalAveragePool: PreparedKernel {
    let batch, positions, channels: Int
    var inputOrder: ActivationOrder { .channelsLast }

    init(input: [Int]) {
        (batch, channels) = (input[0], input[1])
        positions = input.dropFirst(2).reduce(1, *)
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let scale = 1 / Float(positions)
        for n in 0..<batch {
            let x = inputs[0].baseAddress! + n &* positions &* channels
            let y = output.baseAddress! + n &* channels
            var j = 0
            while j &+ 8 <= channels {
                var sum = SIMD8<Float>(repeating: 0)
                for p in 0..<positions { sum += UnsafeRawPointer(x + (p &* channels &+ j)).loadUnaligned(as: SIMD8<Float>.self) }
                UnsafeMutableRawPointer(y + j).storeBytes(of: sum * scale, as: SIMD8<Float>.self)
                j &+= 8
            }
            while j < channels {
                var sum: Float = 0
                for p in 0..<positions { sum += x[p &* channels &+ j] }
                y[j] = sum * scale
                j &+= 1
            }
        }
    }
}
