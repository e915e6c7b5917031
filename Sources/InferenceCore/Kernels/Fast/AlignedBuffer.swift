#if os(Linux)
import Glibc
#endif

extension UnsafeMutableBufferPointer where Element == Float {
    /// Uninitialized floats starting on a 64-byte cache line. The allocator's large blocks start
    /// 16 bytes past a page, which splits every other 32-byte vector load across two lines.
    /// Freed with `deallocate()` like any other buffer.
    ///
    /// `hugePages` asks Linux to back a block of 2 MiB or more with 2 MiB pages (the block is
    /// aligned to 2 MiB and advised `MADV_HUGEPAGE`; transparent huge pages are "madvise" by
    /// default). Packed weights use it: the three layers whose weights take 2-4 MiB, each read
    /// once per inference, measured 4-5 % faster (1.0-224, 7x7x1024: 1.37 -> 1.31 ms).
    /// The activations' arena does not: on huge pages it made one thread 2 % faster but two
    /// threads 1-7 % slower in two runs (the 14x14 layers, whose ping-pong buffers then keep
    /// the fixed L2 sets of their offsets, which are multiples of 8 KiB; on 4 KiB pages the
    /// physical pages scatter them).
    static func allocateAligned(capacity: Int, hugePages: Bool = false) -> Self {
        let count = Swift.max(capacity, 1)
        let bytes = count * MemoryLayout<Float>.stride
        #if os(Linux)
        let huge = 2 << 20
        if hugePages && bytes >= huge {
            let rounded = (bytes + huge - 1) / huge * huge
            var block: UnsafeMutableRawPointer?
            if posix_memalign(&block, huge, rounded) == 0, let block {
                _ = madvise(block, rounded, MADV_HUGEPAGE)
                return Self(start: block.bindMemory(to: Float.self, capacity: count), count: capacity)
            }
        }
        #endif
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        return Self(start: raw.bindMemory(to: Float.self, capacity: count), count: capacity)
    }

    /// `capacity` zeros on pages of their own, mapped before they are returned: the kernel zeroes
    /// and maps every page in one call instead of taking a fault on each first touch. A plan's
    /// arena uses it: 1.0-224's 7.5 MB arena took 4.5 ms to fault in page by page, 2.6 ms so,
    /// on the path of every first run (and of both of verification's graphs). Nil when the
    /// memory is not there. Free with `deallocatePages()`.
    static func allocateZeroedPages(capacity: Int) -> Self? {
        let count = Swift.max(capacity, 1)
        let bytes = count * MemoryLayout<Float>.stride
        #if os(Linux)
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE | MAP_ANON
        #endif
        guard let block = mmap(nil, bytes, PROT_READ | PROT_WRITE, flags, -1, 0), block != MAP_FAILED else { return nil }
        return Self(start: block.bindMemory(to: Float.self, capacity: count), count: count)
    }

    /// Frees a buffer from `allocateZeroedPages`.
    func deallocatePages() {
        munmap(baseAddress, count * MemoryLayout<Float>.stride)
    }
}
