import MobileNetIR

/// Mean over a set of axes (what global average pooling is, over H and W). Sums in `Double`.
struct ReferenceReduceMean: PreparedKernel {
    let shape: [Int]
    let reduced: Set<Int>

    init(input: [Int], axes: [Int]) {
        shape = input
        reduced = Set(axes)
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0]
        // Output strides over the kept axes; a reduced axis contributes stride 0.
        var outStrides = [Int](repeating: 0, count: shape.count)
        var stride = 1
        for axis in shape.indices.reversed() where !reduced.contains(axis) {
            outStrides[axis] = stride
            stride *= shape[axis]
        }
        var sums = [Double](repeating: 0, count: output.count)
        forEachIndex(shape) { i, index in
            var target = 0
            for axis in shape.indices { target += index[axis] * outStrides[axis] }
            sums[target] += Double(x[i])
        }
        let count = Double(reduced.reduce(1) { $0 * shape[$1] })
        for i in output.indices { output[i] = Float(sums[i] / count) }
    }
}
