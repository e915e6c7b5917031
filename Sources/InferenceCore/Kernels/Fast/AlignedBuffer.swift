extension UnsafeMutableBufferPointer where Element == Float {
    /// Uninitialized floats starting on a 64-byte cache line. The allocator's large blocks start
    /// 16 bytes past a page, which splits every other 32-byte vector load across two lines.
    /// Freed with `deallocate()` like any other buffer.
    static func allocateAligned(capacity: Int) -> Self {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(capacity, 1) * MemoryLayout<Float>.stride, alignment: 64)
        return Self(start: raw.bindMemory(to: Float.self, capacity: Swift.max(capacity, 1)), count: capacity)
    }
}
