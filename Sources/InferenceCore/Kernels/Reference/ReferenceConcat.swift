import Foundation

/// Joins inputs of one rank along `axis`: for each index of the axes before it, each input's
/// block (its extent on `axis` times everything after) in turn.
struct ReferenceConcat: PreparedKernel {
    let outer: Int
    /// Each input's block: its size on the axis times the size of the axes after it.
    let blocks: [Int]

    init(inputs: [[Int]], axis: Int) {
        outer = inputs[0][..<axis].reduce(1, *)
        blocks = inputs.map { $0[axis...].reduce(1, *) }
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        var at = 0
        for o in 0..<outer {
            for (input, block) in zip(inputs, blocks) {
                for i in 0..<block { output[at + i] = input[o * block + i] }
                at += block
            }
        }
    }
}

/// `1 / (1 + exp(-x))` element by element, in either memory order.
struct ReferenceSigmoid: PreparedKernel {
    var preservesOrder: Bool { true }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        for i in output.indices { output[i] = 1 / (1 + (-inputs[0][i]).exponential) }
    }
}

private extension Float {
    var exponential: Float { Float(Foundation.exp(Double(self))) }
}
