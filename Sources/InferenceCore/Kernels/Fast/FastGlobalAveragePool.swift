/// Mean of each `[H, W]` plane of `[N, C, H, W]`: a sum over contiguous floats per plane.
struct FastGlobalAveragePool: PreparedKernel {
    let planes, size: Int

    init(input: [Int]) {
        planes = input[0] * input[1]
        size = input.dropFirst(2).reduce(1, *)
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0].baseAddress!
        let scale = 1 / Float(size)
        for plane in 0..<planes {
            let p = x + plane &* size
            var vector = SIMD8<Float>(repeating: 0)
            var i = 0
            while i &+ 8 <= size {
                vector += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
                i &+= 8
            }
            var sum = vector.sum()
            while i < size {
                sum += p[i]
                i &+= 1
            }
            output[plane] = sum * scale
        }
    }
}
