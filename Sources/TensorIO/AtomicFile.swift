#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Writes a whole file or nothing: the bytes go to a temporary file beside the target, which is
/// then renamed over the target. On any failure the temporary file is removed and the target is
/// left as it was; other processes see the old file or the complete new one, never a part.
///
/// The file is not flushed to disk before the rename (`fsync` took 30 ms of a 100 ms conversion);
/// ext4 and most other file systems write a renamed-over file's data before the rename itself.
public enum AtomicFile {
    /// The temporary file while it is being written: `write` appends; the first failure is kept
    /// and ends the file.
    public final class Output {
        fileprivate let fd: Int32
        fileprivate var failure: String?

        fileprivate init(fd: Int32) { self.fd = fd }

        public func write(_ bytes: UnsafeRawBufferPointer) {
            var written = 0
            while failure == nil && written < bytes.count {
                let n = systemWrite(fd, bytes.baseAddress! + written, bytes.count - written)
                if n > 0 { written += n } else { failure = AtomicFile.lastError() }
            }
        }

        public func write(_ bytes: [UInt8]) { bytes.withUnsafeBytes { write($0) } }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(TensorIOError) {
        try write(to: path) { $0.write(bytes) }
    }

    /// Creates the file from what `produce` writes to its output, in order.
    public static func write(to path: String, _ produce: (Output) -> Void) throws(TensorIOError) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .cannotWrite(path: path, reason: lastError()) }
        let temporary = String(cString: template.map { UInt8(bitPattern: $0) })
        var ok = false
        defer { if !ok { unlink(temporary) } }

        let output = Output(fd: fd)
        produce(output)
        if let failure = output.failure {
            close(fd)
            throw .cannotWrite(path: path, reason: failure)
        }
        fchmod(fd, 0o644)
        guard close(fd) == 0 else { throw .cannotWrite(path: path, reason: lastError()) }
        guard rename(temporary, path) == 0 else { throw .cannotWrite(path: path, reason: lastError()) }
        ok = true
    }

    fileprivate static func lastError() -> String { String(cString: strerror(errno)) }
}
