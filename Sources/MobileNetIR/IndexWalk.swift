/// Calls `body` with each flat index of `shape` and its multi-index, in row-major order: the walk
/// that transposes, broadcasts and reductions over tensors of any rank share.
public func forEachIndex(_ shape: [Int], _ body: (Int, [Int]) -> Void) {
    let total = shape.reduce(1, *)
    guard total > 0 else { return }
    var index = [Int](repeating: 0, count: shape.count)
    for i in 0..<total {
        body(i, index)
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < shape[axis] { break }
            index[axis] = 0
            axis -= 1
        }
    }
}

/// Strides of `shape` right-aligned to `rank` axes, 0 on broadcast (size-1 or missing) axes:
/// numpy broadcasting as index arithmetic.
public func broadcastStrides(_ shape: [Int], rank: Int) -> [Int] {
    let padded = Array(repeating: 1, count: rank - shape.count) + shape
    var strides = [Int](repeating: 0, count: rank)
    var stride = 1
    for axis in (0..<rank).reversed() {
        strides[axis] = padded[axis] == 1 ? 0 : stride
        stride *= padded[axis]
    }
    return strides
}

/// Value names made unique: the base name when it is free, else `base_1`, `base_2`, ...
public struct NameTable: Sendable {
    private var taken: Set<String>

    public init(taken: some Sequence<String> = []) { self.taken = Set(taken) }

    public mutating func claim(_ base: String) -> String {
        var name = base, suffix = 1
        while taken.contains(name) {
            name = "\(base)_\(suffix)"
            suffix += 1
        }
        taken.insert(name)
        return name
    }
}
