import MobileNetIR

/// Copies its input: reshape, flatten, squeeze, unsqueeze and identity change only the shape.
struct ReferenceCopy: PreparedKernel {
    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        _ = output.initialize(from: inputs[0])
    }
}

/// Permutes axes: output axis `i` is input axis `perm[i]`.
struct ReferenceTranspose: PreparedKernel {
    let outShape: [Int]
    /// The input stride of each output axis.
    let strides: [Int]

    init(input: [Int], perm: [Int]) {
        var inputStrides = [Int](repeating: 1, count: input.count)
        for axis in input.indices.dropLast().reversed() { inputStrides[axis] = inputStrides[axis + 1] * input[axis + 1] }
        outShape = perm.map { input[$0] }
        strides = perm.map { inputStrides[$0] }
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0]
        forEachIndex(outShape) { i, index in
            var source = 0
            for axis in index.indices { source += index[axis] * strides[axis] }
            output[i] = x[source]
        }
    }
}

/// Constant padding of any rank; `pads` is begins then ends, negative values crop.
struct ReferencePad: PreparedKernel {
    let inShape, outShape, begins: [Int]
    let value: Float

    init(input: [Int], output: [Int], pads: [Int], value: Float) {
        inShape = input
        outShape = output
        begins = Array(pads.prefix(input.count))
        self.value = value
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0]
        forEachIndex(outShape) { i, index in
            var source = 0
            for axis in index.indices {
                let position = index[axis] - begins[axis]
                guard position >= 0, position < inShape[axis] else {
                    output[i] = value
                    return
                }
                source = source * inShape[axis] + position
            }
            output[i] = x[source]
        }
    }
}
