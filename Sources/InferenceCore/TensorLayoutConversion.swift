import MobileNetIR

extension Tensor {
    /// The tensor with its axes permuted: output axis `i` is input axis `perm[i]`.
    public func transposed(_ perm: [Int]) -> Tensor {
        precondition(perm.count == rank && Set(perm) == Set(0..<rank), "perm \(perm) for shape \(shape)")
        let kernel = ReferenceTranspose(input: shape, perm: perm)
        var out = [Float](repeating: 0, count: count)
        data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { kernel.run([input], $0) }
        }
        return Tensor(shape: perm.map { shape[$0] }, data: out)
    }

    /// A rank-4 tensor in layout `from`, rearranged into layout `to`.
    public func converted(from: TensorLayout, to: TensorLayout) -> Tensor {
        guard from != to, rank == 4 else { return self }
        // First to NCHW, then from NCHW: compose the two permutations.
        let toNCHW = from.toNCHW, fromNCHW = to.fromNCHW
        return transposed(fromNCHW.map { toNCHW[$0] })
    }
}
