import Foundation

/// A file mapped read-only into memory: the importers parse the page cache's own pages, so a
/// model is not copied into the process (17 MB for a 1.0-224 model), and a file that is only
/// sniffed for its format (Keras files, which the HDF5 library opens by path) is only read where
/// it is looked at. Unmapped when the last reference goes: keep the `MappedFile` alive
/// (`withExtendedLifetime`) for as long as `bytes` is read.
public final class MappedFile {
    public let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?

    /// Maps `path`, or says why not.
    public init(_ path: String) throws(TensorIOError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .cannotRead(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .cannotRead(path: path, reason: "is a directory, not a file") }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotRead(path: path, reason: "cannot be read (check its permissions)") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotRead(path: path, reason: "cannot be read (check its permissions)") }
        let size = Int(info.st_size)
        guard size > 0 else {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw .cannotRead(path: path, reason: "cannot be read: \(String(cString: strerror(errno)))")
        }
        mapping = address
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
    }

    /// The whole file at `path` as an array (tensor files, which are small).
    public static func contents(of path: String) throws(TensorIOError) -> [UInt8] {
        let file = try MappedFile(path)
        return withExtendedLifetime(file) { Array(file.bytes) }
    }
}
