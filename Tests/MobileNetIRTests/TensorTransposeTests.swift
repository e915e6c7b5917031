import MobileNetIR
import XCTest

/// `Tensor.transposed` against its definition, element by element: output `[i0, ..., in]` is
/// input at the multi-index with axis `perm[k]` set to `ik`, for every permutation of ranks 1 to 4.
final class TensorTransposeTests: XCTestCase {
    func permutations(_ n: Int) -> [[Int]] {
        guard n > 0 else { return [[]] }
        return permutations(n - 1).flatMap { p in (0...p.count).map { Array(p[..<$0]) + [n - 1] + Array(p[$0...]) } }
    }

    func testEveryPermutationMatchesTheDefinition() {
        for shape in [[5], [3, 4], [2, 3, 4], [2, 3, 4, 5], [1, 3, 1, 2]] {
            let count = shape.reduce(1, *)
            let x = Tensor(shape: shape, data: (0..<count).map { Float($0) * 0.5 - 3 })
            var strides = [Int](repeating: 1, count: shape.count)
            for axis in shape.indices.dropLast().reversed() { strides[axis] = strides[axis + 1] * shape[axis + 1] }
            for perm in permutations(shape.count) {
                let y = x.transposed(perm)
                XCTAssertEqual(y.shape, perm.map { shape[$0] })
                var index = [Int](repeating: 0, count: shape.count)
                for flat in 0..<count {
                    var remainder = flat
                    for axis in y.shape.indices.reversed() {
                        index[axis] = remainder % y.shape[axis]
                        remainder /= y.shape[axis]
                    }
                    let source = zip(perm, index).reduce(0) { $0 + strides[$1.0] * $1.1 }
                    if y.data[flat] != x.data[source] {
                        return XCTFail("\(shape) perm \(perm): element \(flat) is \(y.data[flat]), expected \(x.data[source])")
                    }
                }
            }
        }
    }
}
