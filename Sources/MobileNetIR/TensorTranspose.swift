extension Tensor {
    /// The tensor with its axes permuted: output axis `i` is input axis `perm[i]`.
    public func transposed(_ perm: [Int]) -> Tensor {
        precondition(perm.count == rank && Set(perm) == Set(0..<rank), "perm \(perm) for shape \(shape)")
        var strides = [Int](repeating: 1, count: rank)
        for axis in shape.indices.dropLast().reversed() { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        let outShape = perm.map { shape[$0] }
        var out = [Float](repeating: 0, count: count)
        forEachIndex(outShape) { i, index in
            var source = 0
            for axis in perm.indices { source += index[axis] * strides[perm[axis]] }
            out[i] = data[source]
        }
        return Tensor(shape: outShape, data: out)
    }

    /// A rank-4 tensor in layout `from`, rearranged into layout `to`.
    public func converted(from: TensorLayout, to: TensorLayout) -> Tensor {
        guard from != to, rank == 4 else { return self }
        return transposed(from.permutation(to: to))
    }
}
