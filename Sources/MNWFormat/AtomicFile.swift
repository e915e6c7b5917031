#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Writes a whole file or nothing: the bytes go to a temporary file beside the target, which is
/// flushed and then renamed over the target. On any failure the temporary file is removed and
/// the target is left as it was.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws(MNWError) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .writeFailed(path: path, reason: lastError()) }
        let temporary = String(cString: template.map { UInt8(bitPattern: $0) })
        var ok = false
        defer { if !ok { unlink(temporary) } }

        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, bytes.count - written) }
            guard n > 0 else {
                let reason = lastError()
                close(fd)
                throw .writeFailed(path: path, reason: reason)
            }
            written += n
        }
        fchmod(fd, 0o644)
        guard fsync(fd) == 0, close(fd) == 0 else { throw .writeFailed(path: path, reason: lastError()) }
        guard rename(temporary, path) == 0 else { throw .writeFailed(path: path, reason: lastError()) }
        ok = true
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
