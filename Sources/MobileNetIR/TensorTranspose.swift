extension Tensor {
    /// The tensor with its axes permuted: output axis `i` is input axis `perm[i]`.
    public func transposed(_ perm: [Int]) -> Tensor {
        precondition(perm.count == rank && Set(perm) == Set(0..<rank), "perm \(perm) for shape \(shape)")
        var strides = [Int](repeating: 1, count: rank)
        for axis in shape.indices.dropLast().reversed() { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        let outShape = perm.map { shape[$0] }
        // Unit axes hold no order: when the others keep theirs, the data is already in place.
        let moving = perm.filter { shape[$0] > 1 }
        if moving == moving.sorted() { return Tensor(shape: outShape, data: data) }
        // The input stride of each output axis; the output is written in order, its last axis
        // as one strided run of the input per step of the others.
        let steps = perm.map { strides[$0] }
        let total = count
        guard total > 0, let last = outShape.indices.last else { return Tensor(shape: outShape, data: data) }
        let run = outShape[last], step = steps[last]
        var out = [Float](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: rank)
        data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                var source = 0, target = 0
                while target < total {
                    var s = source
                    for j in 0..<run {
                        y[target &+ j] = x[s]
                        s &+= step
                    }
                    target &+= run
                    // Step the outer axes (an odometer over all but the last).
                    var axis = last - 1
                    while axis >= 0 {
                        index[axis] += 1
                        source += steps[axis]
                        if index[axis] < outShape[axis] { break }
                        source -= steps[axis] * outShape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return Tensor(shape: outShape, data: out)
    }

    /// A rank-4 tensor in layout `from`, rearranged into layout `to`.
    public func converted(from: TensorLayout, to: TensorLayout) -> Tensor {
        guard from != to, rank == 4 else { return self }
        return transposed(from.permutation(to: to))
    }
}
