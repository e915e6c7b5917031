import Foundation
import MobileNetIR
import Synchronization

/// Packed weights that several engines share. An engine made with one looks up each node's
/// weights here before packing them, and leaves what it packs for the engines after it.
///
/// Verification makes two engines whose weights are mostly equal: the imported graph and the
/// converted one, where the passes rewrote only the layers they folded something into (a graph
/// whose batch norms its exporter folded keeps every pointwise weight as it was), or two files of
/// the same converted model. Packing is then done once for both.
///
/// Weights match when they are packed the same way (the same type of packed weights: GEMM panels
/// or depthwise taps) and their shapes and every value are equal, bit for bit (so `-0.0` and
/// `0.0`, or two NaNs of other payloads, do not match and are packed apart). Lookups go by a fingerprint of a few values spread over the tensor and
/// confirm with a full comparison; packed weights are never written after packing, so engines
/// on other threads may read the same ones.
public final class WeightSharing: Sendable {
    private let entries = Mutex<[Key: [Entry]]>([:])

    public init() {}

    /// How many sets of weights have been packed (each shared by every engine that found it).
    public var packedCount: Int { entries.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    struct Key: Hashable {
        /// The type of the packed weights.
        var kind: ObjectIdentifier
        var weightShape: [Int]
        var biasShape: [Int]?
        var fingerprint: Int
    }

    private struct Entry: Sendable {
        /// The tensors the weights were packed from, kept to compare with.
        let weight: Tensor
        let bias: Tensor?
        let packed: any AnyObject & Sendable
    }

    /// The weights `pack` packs from `weight` and `bias`, packed only if an equal pair was not
    /// packed into a `Packed` before.
    func packed<Packed: AnyObject & Sendable>(weight: Tensor, bias: Tensor?, pack: () -> Packed) -> Packed {
        let key = Key(kind: ObjectIdentifier(Packed.self), weightShape: weight.shape, biasShape: bias?.shape,
                      fingerprint: Self.fingerprint(weight, bias))
        let found = entries.withLock { entries in
            entries[key]?.first { Self.sameBits($0.weight, weight) && Self.sameBits($0.bias, bias) }?.packed as? Packed
        }
        if let found { return found }
        let packed = pack()
        entries.withLock { $0[key, default: []].append(Entry(weight: weight, bias: bias, packed: packed)) }
        return packed
    }

    /// 64 values spread evenly over the weight, and the bias's first and last.
    private static func fingerprint(_ weight: Tensor, _ bias: Tensor?) -> Int {
        var hasher = Hasher()
        let count = weight.count
        weight.data.withUnsafeBufferPointer { values in
            for i in 0..<min(count, 64) { hasher.combine(values[i * count / min(count, 64)].bitPattern) }
        }
        if let bias, let first = bias.data.first, let last = bias.data.last {
            hasher.combine(first.bitPattern)
            hasher.combine(last.bitPattern)
        }
        return hasher.finalize()
    }

    private static func sameBits(_ a: Tensor?, _ b: Tensor?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        guard a.shape == b.shape else { return false }
        // The same storage (a weight the passes left alone) needs no comparing.
        return a.data.withUnsafeBytes { x in
            b.data.withUnsafeBytes { y in x.count == 0 || x.baseAddress == y.baseAddress || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
        }
    }
}
