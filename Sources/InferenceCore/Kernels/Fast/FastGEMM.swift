/// The pointwise-convolution GEMM: `C[o, p] = act(sum_k W[o, k] * X[k, p] + bias[o])`.
///
/// `X` is `[K, P]` row-major (an NCHW activation's channels by positions), `C` is `[O, P]`. The
/// weights are packed once, at plan time, in blocks of four output channels:
/// `packed[(block * K + k) * 4 + r] = W[block * 4 + r, k]`, zero past `O`. Columns of `X` are
/// packed per chunk into panels of 16 (`panel[(tile * K + k) * 16 + j]`, zero past `P`), so the
/// microkernel reads both operands sequentially whatever the image size (rows of `X` a large power
/// of two apart otherwise fight over the same cache sets). The microkernel keeps a 4 x 16 tile
/// of `C` in registers (eight ymm accumulators with AVX2) and streams `K`.
struct PackedWeights: @unchecked Sendable {
    let outputs, depth: Int
    let blocks: Int
    let packed: UnsafeMutableBufferPointer<Float>
    let bias: UnsafeMutableBufferPointer<Float>

    /// `weight` is `[O, K]` row-major; `bias` has `O` entries or is empty.
    init(weight: [Float], outputs: Int, depth: Int, bias: [Float]) {
        self.outputs = outputs
        self.depth = depth
        blocks = (outputs + 3) / 4
        packed = .allocate(capacity: blocks * depth * 4)
        packed.initialize(repeating: 0)
        for o in 0..<outputs {
            for k in 0..<depth { packed[((o / 4) * depth + k) * 4 + o % 4] = weight[o * depth + k] }
        }
        self.bias = .allocate(capacity: blocks * 4)
        self.bias.initialize(repeating: 0)
        for o in 0..<min(outputs, bias.count) { self.bias[o] = bias[o] }
    }

    func deallocate() {
        packed.deallocate()
        bias.deallocate()
    }
}

enum FastGEMM {
    /// Columns per packed chunk for depth `k`: about 64 KiB of panel, a multiple of 16.
    static func chunk(depth k: Int) -> Int { max(16, min(512, (16 * 1024 / max(k, 1)) / 16 * 16)) }

    /// Floats of panel scratch one thread needs for depth `k`.
    static func scratch(depth k: Int) -> Int { chunk(depth: k) * k }

    /// Computes columns `columns` of `C` for output blocks `blocks`, chunk by chunk, packing each
    /// chunk of `X` into `panel` (`scratch(depth:)` floats) first.
    static func run(_ w: PackedWeights, x: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, positions p: Int,
                    blocks: Range<Int>, columns: Range<Int>, lower: Float, upper: Float, panel: UnsafeMutablePointer<Float>) {
        let k = w.depth, size = chunk(depth: k)
        var start = columns.lowerBound
        while start < columns.upperBound {
            let end = min(columns.upperBound, start &+ size)
            pack(x, positions: p, depth: k, columns: start..<end, into: panel)
            var block = blocks.lowerBound
            while block < blocks.upperBound {
                tile(w, panel: panel, c: c, positions: p, block: block, columns: start..<end, lower: lower, upper: upper)
                block &+= 1
            }
            start = end
        }
    }

    @inline(__always)
    static func pack(_ x: UnsafePointer<Float>, positions p: Int, depth k: Int, columns: Range<Int>, into panel: UnsafeMutablePointer<Float>) {
        var tile = 0, column = columns.lowerBound
        while column < columns.upperBound {
            let valid = min(16, columns.upperBound &- column)
            var source = x + column
            var target = panel + tile &* k &* 16
            if valid == 16 {
                for _ in 0..<k {
                    UnsafeMutableRawPointer(target).storeBytes(of: UnsafeRawPointer(source).loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                    source += p
                    target += 16
                }
            } else {
                for _ in 0..<k {
                    for j in 0..<16 { target[j] = j < valid ? source[j] : 0 }
                    source += p
                    target += 16
                }
            }
            tile &+= 1
            column &+= 16
        }
    }

    @inline(__always)
    static func tile(_ w: PackedWeights, panel: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, positions p: Int,
                     block: Int, columns: Range<Int>, lower: Float, upper: Float) {
        let k = w.depth
        let lo = SIMD16<Float>(repeating: lower), hi = SIMD16<Float>(repeating: upper)
        let weights = UnsafePointer(w.packed.baseAddress!) + block &* k &* 4
        let rows = min(4, w.outputs &- block &* 4)
        let b = w.bias.baseAddress! + block &* 4
        var tile = 0, column = columns.lowerBound
        while column < columns.upperBound {
            var c0 = SIMD16<Float>(repeating: b[0]), c1 = SIMD16<Float>(repeating: b[1])
            var c2 = SIMD16<Float>(repeating: b[2]), c3 = SIMD16<Float>(repeating: b[3])
            var xp = panel + tile &* k &* 16
            var wp = weights
            for _ in 0..<k {
                let v = UnsafeRawPointer(xp).loadUnaligned(as: SIMD16<Float>.self)
                c0 = c0.addingProduct(v, wp[0])
                c1 = c1.addingProduct(v, wp[1])
                c2 = c2.addingProduct(v, wp[2])
                c3 = c3.addingProduct(v, wp[3])
                xp += 16
                wp += 4
            }
            let valid = min(16, columns.upperBound &- column)
            let out = c + (block &* 4 &* p &+ column)
            store(c0.clampedFast(lo, hi), out, row: 0, rows: rows, stride: p, valid: valid)
            store(c1.clampedFast(lo, hi), out, row: 1, rows: rows, stride: p, valid: valid)
            store(c2.clampedFast(lo, hi), out, row: 2, rows: rows, stride: p, valid: valid)
            store(c3.clampedFast(lo, hi), out, row: 3, rows: rows, stride: p, valid: valid)
            tile &+= 1
            column &+= 16
        }
    }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ out: UnsafeMutablePointer<Float>, row: Int, rows: Int, stride: Int, valid: Int) {
        guard row < rows else { return }
        let target = out + row &* stride
        if valid == 16 {
            UnsafeMutableRawPointer(target).storeBytes(of: v, as: SIMD16<Float>.self)
        } else {
            for j in 0..<valid { target[j] = v[j] }
        }
    }
}
