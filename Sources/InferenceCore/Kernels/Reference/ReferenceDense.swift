/// Fully connected over the last axis: `x [..., K]`, `weight [O, K]`, optional `bias [O]`.
struct ReferenceDense: PreparedKernel {
    let rows, k, o: Int
    let hasBias: Bool

    init(input: [Int], weight: [Int], hasBias: Bool) {
        k = input.last!
        rows = input.dropLast().reduce(1, *)
        o = weight[0]
        self.hasBias = hasBias
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0], weight = inputs[1]
        for r in 0..<rows {
            for j in 0..<o {
                var sum: Float = hasBias ? inputs[2][j] : 0
                for i in 0..<k { sum = sum.addingProduct(x[r * k + i], weight[j * k + i]) }
                output[r * o + j] = sum
            }
        }
    }
}
