import MobileNetIR

/// Weights of a GEMM `C[r, o] = act(sum_k A[r, k] * W[o, k] + bias[o])`, packed once, when an
/// engine is made, into panels of 16 output columns:
/// `packed[(panel * K + k) * 16 + j] = W[panel * 16 + j, k]`, zero past `O`; `bias` is padded the
/// same way. The microkernel then reads a panel front to back. A plain value of pointers for the
/// hot loops; `GEMMWeights` owns the memory.
struct PackedPanels: @unchecked Sendable {
    static let width = 16
    let outputs, depth, panels: Int
    let packed: UnsafeMutableBufferPointer<Float>
    let bias: UnsafeMutableBufferPointer<Float>

    /// `weight` is `W`, `[O, K]` row-major; `bias` has `O` entries or is empty.
    init(weight: [Float], outputs: Int, bias: [Float]) {
        self.outputs = outputs
        depth = weight.count / max(outputs, 1)
        panels = (outputs + Self.width - 1) / Self.width
        let packed = UnsafeMutableBufferPointer<Float>.allocateAligned(capacity: panels * depth * Self.width, hugePages: true)
        let (outputs, depth, panels) = (outputs, depth, panels)
        weight.withUnsafeBufferPointer { w in
            guard let w = w.baseAddress else { return }
            for panel in 0..<panels { Self.pack(panel: panel, of: w, outputs: outputs, depth: depth, into: packed.baseAddress!) }
        }
        self.packed = packed
        self.bias = .allocateAligned(capacity: panels * Self.width)
        self.bias.initialize(repeating: 0)
        for o in 0..<min(outputs, bias.count) { self.bias[o] = bias[o] }
    }

    /// Writes panel `panel` of `w` (`[outputs, depth]`): the transpose of its 16 rows, zero
    /// past `outputs`. Four rows by four depths at a time: four 16-byte loads from four rows,
    /// transposed in registers, stored as four parts of four consecutive panel lines. Packing
    /// is on the path of every engine (and of verification, which makes two): one row of `W`
    /// at a time, each store 64 bytes from the last, 1.0-224's 4.2 M weights took 10-20 ms on
    /// two threads, half an inference; this way about a third of that, the rest page faults.
    private static func pack(panel: Int, of w: UnsafePointer<Float>, outputs: Int, depth: Int, into packed: UnsafeMutablePointer<Float>) {
        let first = panel * width, rows = min(width, outputs - first)
        let out = packed + panel * depth * width
        let fullDepth = depth / 4 * 4
        var j0 = 0
        while j0 + 4 <= rows {
            let row = UnsafeRawPointer(w + (first + j0) * depth)
            let stride = depth * MemoryLayout<Float>.stride
            var k = 0
            while k < fullDepth {
                let at = k * MemoryLayout<Float>.stride
                let a = row.loadUnaligned(fromByteOffset: at, as: SIMD4<Float>.self)
                let b = row.loadUnaligned(fromByteOffset: at + stride, as: SIMD4<Float>.self)
                let c = row.loadUnaligned(fromByteOffset: at + 2 * stride, as: SIMD4<Float>.self)
                let d = row.loadUnaligned(fromByteOffset: at + 3 * stride, as: SIMD4<Float>.self)
                let line = UnsafeMutableRawPointer(out + k * width + j0)
                let lineBytes = width * MemoryLayout<Float>.stride
                line.storeBytes(of: SIMD4(a[0], b[0], c[0], d[0]), as: SIMD4<Float>.self)
                line.storeBytes(of: SIMD4(a[1], b[1], c[1], d[1]), toByteOffset: lineBytes, as: SIMD4<Float>.self)
                line.storeBytes(of: SIMD4(a[2], b[2], c[2], d[2]), toByteOffset: 2 * lineBytes, as: SIMD4<Float>.self)
                line.storeBytes(of: SIMD4(a[3], b[3], c[3], d[3]), toByteOffset: 3 * lineBytes, as: SIMD4<Float>.self)
                k += 4
            }
            for j in j0..<(j0 + 4) {
                for k in fullDepth..<depth { out[k * width + j] = w[(first + j) * depth + k] }
            }
            j0 += 4
        }
        for j in j0..<width {
            for k in 0..<depth { out[k * width + j] = j < rows ? w[(first + j) * depth + k] : 0 }
        }
    }

    func deallocate() {
        packed.deallocate()
        bias.deallocate()
    }
}

/// Packed GEMM weights shared by every plan of an engine; freed with the last of them.
final class GEMMWeights: @unchecked Sendable {
    let panels: PackedPanels

    /// Packs `weight`, whose first axis is the outputs and whose other axes, flattened row-major,
    /// are the GEMM's depth: `[O, K]` (dense), `[O, C, 1, 1]` (pointwise), `[O, C, kH, kW]`
    /// (a direct convolution, whose gathered rows have the same order).
    init(weight: Tensor, bias: Tensor?) {
        panels = PackedPanels(weight: weight.data, outputs: weight.shape[0], bias: bias?.data ?? [])
    }

    deinit { panels.deallocate() }
}

/// The GEMM behind every channels-last convolution and dense layer: `A` is `[R, K]` with rows
/// `lda` floats apart (an NHWC activation's positions by channels, or patches), `C` is
/// `[R, O]` with rows `ldc` floats apart. A 3 x 32 tile of `C` (`wideTile`: three rows by two
/// panels) stays in twelve ymm accumulators while `K` streams: each step broadcasts three `A`
/// values against the four weight vectors of the two panels. Rows go in blocks of up to 512 KiB
/// of `A` (`rowBlock`), mostly held in L2 while each pair of panels passes over all of their
/// rows. A last odd or partial panel goes through the 6 x 16 tile (`tile`), which the stem's
/// gathered GEMM uses too.
enum FastGEMM {
    /// Rows of the 6 x 16 tile, and the unit in which threads and bands share out rows.
    static let rowsPerTile = 6
    /// Rows of the 3 x 32 tile.
    static let wideRows = 3

    /// Rows per cache block for `rows` rows of depth `k`: at most 512 KiB of `A` in blocks of equal
    /// size, a multiple of six rows. The 14x14 layers' 392 KiB then go as one block, and each pair
    /// of panels is fetched once instead of twice (the second time from L3): 1-3 % less time on
    /// those layers on one thread than with 256 KiB blocks, in three paired runs (level on two
    /// threads, and 128 KiB blocks slower).
    static func rowBlock(rows: Int, depth k: Int) -> Int {
        let most = max(rowsPerTile, 128 * 1024 / max(k, 1))
        let blocks = (rows + most - 1) / most
        return ((rows + blocks - 1) / max(blocks, 1) + rowsPerTile - 1) / rowsPerTile * rowsPerTile
    }

    /// Computes rows `0..<rows` of `C` on up to `threads` threads. Threads split the rows when
    /// each gets at least 96 rows, or when the activations outweigh the weights (each
    /// thread then streams half the activations); the depthwise layer after, which splits rows
    /// too, then finds its input rows in its own core's L2. Splitting the panels there instead
    /// (each thread streams half the weights, as 14x14 layers did) left the depthwise layers
    /// reading half their input from the other core: on two threads, 1.0-224's 14x14 depthwise
    /// layers took 0.077 ms instead of 0.051, its 14x14 pointwise layers 0.73-0.75 instead of
    /// 0.70-0.71 (with the 6 x 16 tile; with the 3 x 32 tile, splitting their pairs measured
    /// level). Fewer rows (the 7x7 layers, 49 rows) split the panels, in pairs: rows split
    /// unevenly there (0.354 -> 0.362 and 0.725 -> 0.744 ms split by rows). Under about
    /// 2^18 FMAs a GEMM stays on one thread, unless its weights alone take longer to stream
    /// than a split costs (a weight counts as four FMAs): the 0.25-128 classifier, one row by
    /// 256 x 1000, took 24 us on one thread and 14 on two.
    static func run(_ w: PackedPanels, a: UnsafePointer<Float>, lda: Int, rows: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                    lower: Float, upper: Float, threads: Int) {
        let threads = (rows &+ 4) &* w.depth &* w.outputs < 1 << 18 ? 1 : threads
        guard threads > 1 else {
            run(w, a: a, lda: lda, rows: 0..<rows, panels: 0..<w.panels, c: c, ldc: ldc, lower: lower, upper: upper)
            return
        }
        let a = SendableConstPointer(base: a), c = SendablePointer(base: c)
        let splitRows = (rows >= 16 &* rowsPerTile &* threads || rows &* lda > w.panels &* w.depth &* 16) && rows >= 2 &* rowsPerTile &* threads
        if splitRows || w.panels < threads {
            let chunk = ((rows + threads - 1) / threads + rowsPerTile - 1) / rowsPerTile * rowsPerTile
            parallelFor(threads, threads: threads) { task in
                let start = min(rows, task * chunk)
                run(w, a: a.base, lda: lda, rows: start..<min(rows, start + chunk), panels: 0..<w.panels,
                    c: c.base, ldc: ldc, lower: lower, upper: upper)
            }
        } else {
            let chunk = ((w.panels + threads - 1) / threads + 1) / 2 * 2
            parallelFor(threads, threads: threads) { task in
                let start = min(w.panels, task * chunk)
                run(w, a: a.base, lda: lda, rows: 0..<rows, panels: start..<min(w.panels, start + chunk),
                    c: c.base, ldc: ldc, lower: lower, upper: upper)
            }
        }
    }

    static func run(_ w: PackedPanels, a: UnsafePointer<Float>, lda: Int, rows: Range<Int>, panels: Range<Int>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, lower: Float, upper: Float) {
        // One row (a dense layer at batch 1) reuses no weight: it streams them, four panels at once.
        if rows.count == 1 {
            var panel = panels.lowerBound
            while panel &+ 4 <= panels.upperBound {
                rowTile(w, panels: panel, a: a + rows.lowerBound &* lda, c: c + rows.lowerBound &* ldc, lower: lower, upper: upper)
                panel &+= 4
            }
            for panel in panel..<panels.upperBound {
                anyTile(w, panel: panel, depth: 0..<w.depth, a: a + rows.lowerBound &* lda, lda: lda, rows: 1,
                        c: c + rows.lowerBound &* ldc, ldc: ldc, lower: lower, upper: upper)
            }
            return
        }
        // Pairs of full panels go through the wide tile; a last odd or partial panel through the
        // six-row one.
        let full = min(panels.upperBound, max(panels.lowerBound, w.outputs / PackedPanels.width))
        let pairs = panels.lowerBound..<(panels.lowerBound &+ (full &- panels.lowerBound) / 2 &* 2)
        let block = rowBlock(rows: rows.count, depth: min(w.depth, depthBlock))
        var start = rows.lowerBound
        while start < rows.upperBound {
            let end = min(rows.upperBound, start &+ block)
            var k0 = 0
            while k0 < w.depth {
                let k1 = min(w.depth, k0 &+ depthBlock)
                let (lo, hi) = k1 == w.depth ? (lower, upper) : (-Float.infinity, Float.infinity)
                // Each pair of panels passes over every row of the block, which stays in L2.
                var panel = pairs.lowerBound
                while panel < pairs.upperBound {
                    var row = start
                    while row < end {
                        wideTile(w, panel: panel, depth: k0..<k1, a: a + row &* lda, lda: lda, rows: min(wideRows, end &- row),
                                 c: c + row &* ldc, ldc: ldc, lower: lo, upper: hi)
                        row &+= wideRows
                    }
                    panel &+= 2
                }
                for panel in pairs.upperBound..<panels.upperBound {
                    var row = start
                    while row < end {
                        anyTile(w, panel: panel, depth: k0..<k1, a: a + row &* lda, lda: lda, rows: min(rowsPerTile, end &- row),
                                c: c + row &* ldc, ldc: ldc, lower: lo, upper: hi)
                        row &+= rowsPerTile
                    }
                }
                k0 = k1
            }
            start = end
        }
    }

    /// Depth per pass (all of MobileNetV1's); passes after the first add to `C`.
    static let depthBlock = 1024

    /// Kept out of line: inlined into the blocking loops, the tile's twelve accumulators may no
    /// longer all get registers (one spilled to the stack halves the speed).
    @inline(never)
    static func anyTile(_ w: PackedPanels, panel: Int, depth: Range<Int>, a: UnsafePointer<Float>, lda: Int, rows: Int,
                        c: UnsafeMutablePointer<Float>, ldc: Int, lower: Float, upper: Float) {
        if rows <= 2 {
            thinTile(w, panel: panel, depth: depth, a: a, lda: lda, rows: rows, c: c, ldc: ldc, lower: lower, upper: upper)
        } else {
            tile(w, panel: panel, depth: depth, a: a, lda: lda, rows: rows, c: c, ldc: ldc, lower: lower, upper: upper)
        }
    }

    /// A full tile (up to six rows, all of `K`) whose row `n` has depth `k` at
    /// `a + n * step + offsets[k]`: six output positions of a convolution read straight from
    /// the image. Out of line for the same reason as `anyTile`.
    @inline(never)
    static func gatherTile(_ w: PackedPanels, panel: Int, a: UnsafePointer<Float>, step: Int, offsets: UnsafePointer<Int>, rows: Int,
                           c: UnsafeMutablePointer<Float>, ldc: Int, lower: Float, upper: Float) {
        tile(w, panel: panel, depth: 0..<w.depth, a: a, lda: step, rows: rows, c: c, ldc: ldc, lower: lower, upper: upper) { offsets[$0] }
    }

    /// Up to three rows of `C` by the two full panels from `panel` on, over `depth` of `K`: the
    /// first slice starts from the bias, later ones from `C`. Missing rows repeat the last one and
    /// are not stored. Each step loads one weight vector at a time and adds it into the three rows
    /// it meets, so twelve accumulators, three broadcasts and one weight take all sixteen ymm
    /// registers; loading the four weight vectors first needs seventeen and spills. Out of line
    /// for the same reason as `anyTile`.
    @inline(never)
    static func wideTile(_ w: PackedPanels, panel: Int, depth: Range<Int>, a: UnsafePointer<Float>, lda: Int, rows: Int,
                         c: UnsafeMutablePointer<Float>, ldc: Int, lower: Float, upper: Float) {
        wide(w, panel: panel, depth: depth, a: a, lda: lda, rows: rows, c: c, ldc: ldc, lower: lower, upper: upper)
    }

    /// `wideTile` whose row `n` has depth `k` at `a + n * step + offsets[k]` (see `gatherTile`).
    @inline(never)
    static func wideGatherTile(_ w: PackedPanels, panel: Int, a: UnsafePointer<Float>, step: Int, offsets: UnsafePointer<Int>, rows: Int,
                               c: UnsafeMutablePointer<Float>, ldc: Int, lower: Float, upper: Float) {
        wide(w, panel: panel, depth: 0..<w.depth, a: a, lda: step, rows: rows, c: c, ldc: ldc, lower: lower, upper: upper) { offsets[$0] }
    }

    /// The body of `wideTile` and `wideGatherTile`: `index` maps a depth to its place in a row of
    /// `A` (the identity for a matrix).
    @inline(__always)
    static func wide(_ w: PackedPanels, panel: Int, depth: Range<Int>, a: UnsafePointer<Float>, lda: Int, rows: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int, lower: Float, upper: Float, index: (Int) -> Int = { $0 }) {
        typealias V = SIMD8<Float>
        let k = w.depth
        let a0 = a, a1 = a + min(1, rows &- 1) &* lda, a2 = a + min(2, rows &- 1) &* lda
        let out = c + panel &* 16
        let o1 = out + min(1, rows &- 1) &* ldc, o2 = out + min(2, rows &- 1) &* ldc
        var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23: V
        if depth.lowerBound == 0 {
            let bias = UnsafeRawPointer(w.bias.baseAddress! + panel &* 16)
            c00 = bias.loadUnaligned(as: V.self); c01 = bias.loadUnaligned(fromByteOffset: 32, as: V.self)
            c02 = bias.loadUnaligned(fromByteOffset: 64, as: V.self); c03 = bias.loadUnaligned(fromByteOffset: 96, as: V.self)
            (c10, c11, c12, c13) = (c00, c01, c02, c03)
            (c20, c21, c22, c23) = (c00, c01, c02, c03)
        } else {
            let r0 = UnsafeRawPointer(out), r1 = UnsafeRawPointer(o1), r2 = UnsafeRawPointer(o2)
            c00 = r0.loadUnaligned(as: V.self); c01 = r0.loadUnaligned(fromByteOffset: 32, as: V.self)
            c02 = r0.loadUnaligned(fromByteOffset: 64, as: V.self); c03 = r0.loadUnaligned(fromByteOffset: 96, as: V.self)
            c10 = r1.loadUnaligned(as: V.self); c11 = r1.loadUnaligned(fromByteOffset: 32, as: V.self)
            c12 = r1.loadUnaligned(fromByteOffset: 64, as: V.self); c13 = r1.loadUnaligned(fromByteOffset: 96, as: V.self)
            c20 = r2.loadUnaligned(as: V.self); c21 = r2.loadUnaligned(fromByteOffset: 32, as: V.self)
            c22 = r2.loadUnaligned(fromByteOffset: 64, as: V.self); c23 = r2.loadUnaligned(fromByteOffset: 96, as: V.self)
        }
        var b = UnsafeRawPointer(w.packed.baseAddress! + (panel &* k &+ depth.lowerBound) &* 16)
        let span = k &* 64
        var i = depth.lowerBound
        while i < depth.upperBound {
            let x = index(i)
            let s0 = V(repeating: a0[x]), s1 = V(repeating: a1[x]), s2 = V(repeating: a2[x])
            var v = b.loadUnaligned(as: V.self)
            c00 = c00.addingProduct(s0, v); c10 = c10.addingProduct(s1, v); c20 = c20.addingProduct(s2, v)
            v = b.loadUnaligned(fromByteOffset: 32, as: V.self)
            c01 = c01.addingProduct(s0, v); c11 = c11.addingProduct(s1, v); c21 = c21.addingProduct(s2, v)
            v = b.loadUnaligned(fromByteOffset: span, as: V.self)
            c02 = c02.addingProduct(s0, v); c12 = c12.addingProduct(s1, v); c22 = c22.addingProduct(s2, v)
            v = b.loadUnaligned(fromByteOffset: span &+ 32, as: V.self)
            c03 = c03.addingProduct(s0, v); c13 = c13.addingProduct(s1, v); c23 = c23.addingProduct(s2, v)
            b += 64
            i &+= 1
        }
        let lo = V(repeating: lower), hi = V(repeating: upper)
        var y = UnsafeMutableRawPointer(out)
        y.storeBytes(of: c00.clampedFast(lo, hi), as: V.self); y.storeBytes(of: c01.clampedFast(lo, hi), toByteOffset: 32, as: V.self)
        y.storeBytes(of: c02.clampedFast(lo, hi), toByteOffset: 64, as: V.self); y.storeBytes(of: c03.clampedFast(lo, hi), toByteOffset: 96, as: V.self)
        guard rows > 1 else { return }
        y = UnsafeMutableRawPointer(o1)
        y.storeBytes(of: c10.clampedFast(lo, hi), as: V.self); y.storeBytes(of: c11.clampedFast(lo, hi), toByteOffset: 32, as: V.self)
        y.storeBytes(of: c12.clampedFast(lo, hi), toByteOffset: 64, as: V.self); y.storeBytes(of: c13.clampedFast(lo, hi), toByteOffset: 96, as: V.self)
        guard rows > 2 else { return }
        y = UnsafeMutableRawPointer(o2)
        y.storeBytes(of: c20.clampedFast(lo, hi), as: V.self); y.storeBytes(of: c21.clampedFast(lo, hi), toByteOffset: 32, as: V.self)
        y.storeBytes(of: c22.clampedFast(lo, hi), toByteOffset: 64, as: V.self); y.storeBytes(of: c23.clampedFast(lo, hi), toByteOffset: 96, as: V.self)
    }

    /// One row of `C` by the four panels from `first` on, over all of `K`: a dense layer at
    /// batch 1 is a stream of weights, and four streams keep more of them in flight from memory
    /// than one (eight FMA chains, one broadcast per depth).
    @inline(never)
    static func rowTile(_ w: PackedPanels, panels first: Int, a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                        lower: Float, upper: Float) {
        typealias V = SIMD8<Float>
        let span = w.depth &* 64
        var b = UnsafeRawPointer(w.packed.baseAddress! + first &* w.depth &* 16)
        let bias = UnsafeRawPointer(w.bias.baseAddress! + first &* 16)
        var c00 = bias.loadUnaligned(as: V.self), c01 = bias.loadUnaligned(fromByteOffset: 32, as: V.self)
        var c10 = bias.loadUnaligned(fromByteOffset: 64, as: V.self), c11 = bias.loadUnaligned(fromByteOffset: 96, as: V.self)
        var c20 = bias.loadUnaligned(fromByteOffset: 128, as: V.self), c21 = bias.loadUnaligned(fromByteOffset: 160, as: V.self)
        var c30 = bias.loadUnaligned(fromByteOffset: 192, as: V.self), c31 = bias.loadUnaligned(fromByteOffset: 224, as: V.self)
        for i in 0..<w.depth {
            let s = V(repeating: a[i])
            c00 = c00.addingProduct(s, b.loadUnaligned(as: V.self))
            c01 = c01.addingProduct(s, b.loadUnaligned(fromByteOffset: 32, as: V.self))
            c10 = c10.addingProduct(s, b.loadUnaligned(fromByteOffset: span, as: V.self))
            c11 = c11.addingProduct(s, b.loadUnaligned(fromByteOffset: span &+ 32, as: V.self))
            c20 = c20.addingProduct(s, b.loadUnaligned(fromByteOffset: 2 &* span, as: V.self))
            c21 = c21.addingProduct(s, b.loadUnaligned(fromByteOffset: 2 &* span &+ 32, as: V.self))
            c30 = c30.addingProduct(s, b.loadUnaligned(fromByteOffset: 3 &* span, as: V.self))
            c31 = c31.addingProduct(s, b.loadUnaligned(fromByteOffset: 3 &* span &+ 32, as: V.self))
            b += 64
        }
        let lo = V(repeating: lower), hi = V(repeating: upper)
        let out = c + first &* 16
        let columns = min(64, w.outputs &- first &* 16)
        store(c00, c01, out, columns: min(16, columns), lo: lo, hi: hi)
        store(c10, c11, out + 16, columns: min(16, columns &- 16), lo: lo, hi: hi)
        store(c20, c21, out + 32, columns: min(16, columns &- 32), lo: lo, hi: hi)
        store(c30, c31, out + 48, columns: columns &- 48, lo: lo, hi: hi)
    }

    /// A tile of one or two rows (a dense layer at batch 1, the last row of a 7x7 layer): even
    /// and odd depths go to separate accumulators, so eight FMA chains are in flight instead of
    /// the six rows' worth of work a full tile would spend.
    static func thinTile(_ w: PackedPanels, panel: Int, depth: Range<Int>, a: UnsafePointer<Float>, lda: Int, rows: Int,
                         c: UnsafeMutablePointer<Float>, ldc: Int, lower: Float, upper: Float) {
        let k = w.depth
        let a0 = a, a1 = a + (rows &- 1) &* lda
        let columns = min(16, w.outputs &- panel &* 16)
        let out = c + panel &* 16
        var c00, c01, c10, c11: SIMD8<Float>
        if depth.lowerBound == 0 {
            let bias = UnsafeRawPointer(w.bias.baseAddress! + panel &* 16)
            (c00, c01) = (bias.loadUnaligned(as: SIMD8<Float>.self), bias.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
            (c10, c11) = (c00, c01)
        } else {
            (c00, c01) = load(out, columns: columns)
            (c10, c11) = load(out + (rows &- 1) &* ldc, columns: columns)
        }
        var d00 = SIMD8<Float>(), d01 = SIMD8<Float>(), d10 = SIMD8<Float>(), d11 = SIMD8<Float>()
        var b = UnsafeRawPointer(w.packed.baseAddress! + (panel &* k &+ depth.lowerBound) &* 16)
        var i = depth.lowerBound
        while i &+ 1 < depth.upperBound {
            let w0 = b.loadUnaligned(as: SIMD8<Float>.self), w1 = b.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            let v0 = b.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), v1 = b.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
            var s = SIMD8<Float>(repeating: a0[i])
            c00 = c00.addingProduct(s, w0); c01 = c01.addingProduct(s, w1)
            s = SIMD8<Float>(repeating: a1[i])
            c10 = c10.addingProduct(s, w0); c11 = c11.addingProduct(s, w1)
            s = SIMD8<Float>(repeating: a0[i &+ 1])
            d00 = d00.addingProduct(s, v0); d01 = d01.addingProduct(s, v1)
            s = SIMD8<Float>(repeating: a1[i &+ 1])
            d10 = d10.addingProduct(s, v0); d11 = d11.addingProduct(s, v1)
            b += 128
            i &+= 2
        }
        if i < depth.upperBound {
            let w0 = b.loadUnaligned(as: SIMD8<Float>.self), w1 = b.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            var s = SIMD8<Float>(repeating: a0[i])
            c00 = c00.addingProduct(s, w0); c01 = c01.addingProduct(s, w1)
            s = SIMD8<Float>(repeating: a1[i])
            c10 = c10.addingProduct(s, w0); c11 = c11.addingProduct(s, w1)
        }
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        store(c00 + d00, c01 + d01, out, columns: columns, lo: lo, hi: hi)
        if rows > 1 { store(c10 + d10, c11 + d11, out + ldc, columns: columns, lo: lo, hi: hi) }
    }

    /// One tile: `rows` (at most six) rows of `C` by one panel, over `depth` of `K`: the first
    /// slice starts from the bias, later ones from `C`. Missing rows repeat the last one and are
    /// not stored.
    /// `index` maps a depth to its place in a row of `A` (the identity for a matrix; the GEMM of
    /// `FastDirectConv` gathers a window's values from the image instead).
    @inline(__always)
    static func tile(_ w: PackedPanels, panel: Int, depth: Range<Int>, a: UnsafePointer<Float>, lda: Int, rows: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int, lower: Float, upper: Float, index: (Int) -> Int = { $0 }) {
        let k = w.depth
        let a0 = a, a1 = a + min(1, rows &- 1) &* lda, a2 = a + min(2, rows &- 1) &* lda
        let a3 = a + min(3, rows &- 1) &* lda, a4 = a + min(4, rows &- 1) &* lda, a5 = a + min(5, rows &- 1) &* lda
        let columns = min(16, w.outputs &- panel &* 16)
        let out = c + panel &* 16
        var c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51: SIMD8<Float>
        if depth.lowerBound == 0 {
            let bias = UnsafeRawPointer(w.bias.baseAddress! + panel &* 16)
            let bLow = bias.loadUnaligned(as: SIMD8<Float>.self), bHigh = bias.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            (c00, c01, c10, c11, c20, c21) = (bLow, bHigh, bLow, bHigh, bLow, bHigh)
            (c30, c31, c40, c41, c50, c51) = (bLow, bHigh, bLow, bHigh, bLow, bHigh)
        } else {
            (c00, c01) = load(out, columns: columns)
            (c10, c11) = load(out + min(1, rows &- 1) &* ldc, columns: columns)
            (c20, c21) = load(out + min(2, rows &- 1) &* ldc, columns: columns)
            (c30, c31) = load(out + min(3, rows &- 1) &* ldc, columns: columns)
            (c40, c41) = load(out + min(4, rows &- 1) &* ldc, columns: columns)
            (c50, c51) = load(out + min(5, rows &- 1) &* ldc, columns: columns)
        }
        var b = UnsafeRawPointer(w.packed.baseAddress! + (panel &* k &+ depth.lowerBound) &* 16)
        var i = depth.lowerBound
        while i < depth.upperBound {
            let w0 = b.loadUnaligned(as: SIMD8<Float>.self), w1 = b.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            let x = index(i)
            var s = SIMD8<Float>(repeating: a0[x])
            c00 = c00.addingProduct(s, w0); c01 = c01.addingProduct(s, w1)
            s = SIMD8<Float>(repeating: a1[x])
            c10 = c10.addingProduct(s, w0); c11 = c11.addingProduct(s, w1)
            s = SIMD8<Float>(repeating: a2[x])
            c20 = c20.addingProduct(s, w0); c21 = c21.addingProduct(s, w1)
            s = SIMD8<Float>(repeating: a3[x])
            c30 = c30.addingProduct(s, w0); c31 = c31.addingProduct(s, w1)
            s = SIMD8<Float>(repeating: a4[x])
            c40 = c40.addingProduct(s, w0); c41 = c41.addingProduct(s, w1)
            s = SIMD8<Float>(repeating: a5[x])
            c50 = c50.addingProduct(s, w0); c51 = c51.addingProduct(s, w1)
            b += 64
            i &+= 1
        }
        if rows == 6 && (columns == 16 || columns == 8) {
            // A full tile clamps and stores its results here, after the loop has let go of the
            // weight and broadcast registers; partial tiles go through `finish`. Handing every
            // tile over through memory cost the shallow layers 1.5-3.5 % (stem, 32- to 128-deep
            // layers, two runs of 10 and 12 alternating rounds), and 0.25-128's eight-output stem
            // 5 % (0.058 against 0.054-0.055 ms). Spelled out rather than six calls to `store`:
            // with those, `gatherTile`'s loop spilled two accumulators.
            let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
            let y = UnsafeMutableRawPointer(out), s = ldc &* 4
            y.storeBytes(of: c00.clampedFast(lo, hi), as: SIMD8<Float>.self)
            y.storeBytes(of: c10.clampedFast(lo, hi), toByteOffset: s, as: SIMD8<Float>.self)
            y.storeBytes(of: c20.clampedFast(lo, hi), toByteOffset: 2 &* s, as: SIMD8<Float>.self)
            y.storeBytes(of: c30.clampedFast(lo, hi), toByteOffset: 3 &* s, as: SIMD8<Float>.self)
            y.storeBytes(of: c40.clampedFast(lo, hi), toByteOffset: 4 &* s, as: SIMD8<Float>.self)
            y.storeBytes(of: c50.clampedFast(lo, hi), toByteOffset: 5 &* s, as: SIMD8<Float>.self)
            guard columns == 16 else { return }
            y.storeBytes(of: c01.clampedFast(lo, hi), toByteOffset: 32, as: SIMD8<Float>.self)
            y.storeBytes(of: c11.clampedFast(lo, hi), toByteOffset: s &+ 32, as: SIMD8<Float>.self)
            y.storeBytes(of: c21.clampedFast(lo, hi), toByteOffset: 2 &* s &+ 32, as: SIMD8<Float>.self)
            y.storeBytes(of: c31.clampedFast(lo, hi), toByteOffset: 3 &* s &+ 32, as: SIMD8<Float>.self)
            y.storeBytes(of: c41.clampedFast(lo, hi), toByteOffset: 4 &* s &+ 32, as: SIMD8<Float>.self)
            y.storeBytes(of: c51.clampedFast(lo, hi), toByteOffset: 5 &* s &+ 32, as: SIMD8<Float>.self)
            return
        }
        var results = Tile(rows: ((c00, c01), (c10, c11), (c20, c21), (c30, c31), (c40, c41), (c50, c51)))
        finish(&results, out, ldc: ldc, rows: rows, columns: columns, lower: lower, upper: upper)
    }

    /// A partial register tile's results on their way out: handed over in one piece, so finishing
    /// it costs one call rather than one per row.
    struct Tile {
        typealias Row = (SIMD8<Float>, SIMD8<Float>)
        var rows: (Row, Row, Row, Row, Row, Row)
    }

    /// Clamps a tile and stores its first `rows` rows and `columns` columns.
    @inline(never)
    static func finish(_ tile: inout Tile, _ out: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int,
                       lower: Float, upper: Float) {
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        withUnsafeBytes(of: &tile.rows) { raw in
            let results = raw.assumingMemoryBound(to: SIMD8<Float>.self)
            for row in 0..<rows {
                store(results[2 &* row], results[2 &* row &+ 1], out + row &* ldc, columns: columns, lo: lo, hi: hi)
            }
        }
    }

    /// The first `columns` of sixteen results stored earlier, zero past them.
    @inline(__always)
    static func load(_ row: UnsafeMutablePointer<Float>, columns: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        if columns == 16 {
            let source = UnsafeRawPointer(row)
            return (source.loadUnaligned(as: SIMD8<Float>.self), source.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        }
        var low = SIMD8<Float>(), high = SIMD8<Float>()
        for j in 0..<columns {
            if j < 8 { low[j] = row[j] } else { high[j &- 8] = row[j] }
        }
        return (low, high)
    }

    /// Clamps sixteen results and stores the first `columns` of them.
    @inline(__always)
    static func store(_ low: SIMD8<Float>, _ high: SIMD8<Float>, _ out: UnsafeMutablePointer<Float>, columns: Int,
                      lo: SIMD8<Float>, hi: SIMD8<Float>) {
        let low = low.clampedFast(lo, hi), high = high.clampedFast(lo, hi)
        let target = UnsafeMutableRawPointer(out)
        if columns == 16 {
            target.storeBytes(of: low, as: SIMD8<Float>.self)
            target.storeBytes(of: high, toByteOffset: 32, as: SIMD8<Float>.self)
            return
        }
        if columns >= 8 {
            target.storeBytes(of: low, as: SIMD8<Float>.self)
            for j in 8..<columns { out[j] = high[j &- 8] }
        } else {
            for j in 0..<columns { out[j] = low[j] }
        }
    }
}
