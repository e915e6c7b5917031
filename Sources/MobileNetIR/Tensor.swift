/// A dense fp32 tensor: a shape and its elements in row-major order (the last axis varies fastest).
///
/// The IR holds every constant — weights, biases, BatchNorm statistics — as a `Tensor`. Which axis
/// means what is a property of the op that reads it, stated on each `Op` case.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    /// Creates a tensor; `data.count` must equal the product of `shape`.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(data.count == shape.reduce(1, *), "\(data.count) elements for shape \(shape)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// The index of the first element that is NaN or infinite, if any. Eight elements a step
    /// (all-ones exponent bits), since every importer and writer checks every weight.
    public var firstNonFiniteIndex: Int? {
        data.withUnsafeBufferPointer { values in
            let exponent = SIMD8<UInt32>(repeating: 0x7F80_0000)
            var i = 0
            while i + 8 <= values.count {
                let bits = UnsafeRawPointer(values.baseAddress! + i).loadUnaligned(as: SIMD8<UInt32>.self) & exponent
                if any(bits .== exponent) { break }
                i += 8
            }
            while i < values.count {
                if !values[i].isFinite { return i }
                i += 1
            }
            return nil
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}

/// The element count of `shape`, or nil when it overflows `Int` or exceeds `limit`.
///
/// Importers call this on every declared shape before allocating anything for it.
public func checkedElementCount(_ shape: [Int], limit: Int = Int(Int32.max)) -> Int? {
    var count = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, product <= limit else { return nil }
        count = product
    }
    return count
}
