extension Array where Element == UInt8 {
    /// Calls `body` on the array's bytes and keeps `body`'s error type, which
    /// `withUnsafeBytes` (untyped `rethrows`) would widen to `any Error`. The importers and the
    /// `.mnw` reader parse raw bytes and have `[UInt8]` entry points built on this.
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        withUnsafeBytes { raw in result = Result { () throws(E) in try body(raw) } }
        return try result!.get()
    }
}
