import MobileNetIR

/// `.npz`: what `numpy.savez` writes and `numpy.load` reads, a ZIP archive of one `.npy` per
/// array, named `<key>.npy`. Written here with stored (uncompressed) entries: a local header
/// and the data per array, then the central directory and its end record (ZIP's "APPNOTE"
/// layout, version 2.0, no ZIP64: each array and the archive stay under 4 GiB).
public enum NumpyArchive {
    /// The archive's bytes for `arrays`, in their order.
    public static func serialize(_ arrays: [(name: String, tensor: Tensor)]) throws(TensorIOError) -> [UInt8] {
        var bytes: [UInt8] = [], directory: [UInt8] = []
        func put16(_ v: Int, _ out: inout [UInt8]) { withUnsafeBytes(of: UInt16(v).littleEndian) { out += $0 } }
        func put32(_ v: UInt32, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        for (name, tensor) in arrays {
            let file = Array((name + ".npy").utf8)
            let data = NumpyFile.serialize(tensor)
            guard data.count < Int(UInt32.max), bytes.count < Int(UInt32.max) - data.count - 1024, file.count < 0xFFFF else {
                throw .cannotWrite(path: name, reason: "array '\(name)' would take the .npz archive over 4 GiB")
            }
            let crc = data.withUnsafeBytes { CRC32.checksum($0) }
            let offset = UInt32(bytes.count)
            // Local file header: version 2.0, no flags, stored, 1980-01-01 00:00.
            put32(0x0403_4B50, &bytes)
            for v in [20, 0, 0, 0, 0x21] { put16(v, &bytes) }
            put32(crc, &bytes); put32(UInt32(data.count), &bytes); put32(UInt32(data.count), &bytes)
            put16(file.count, &bytes); put16(0, &bytes)
            bytes += file + data
            // Its central directory entry.
            put32(0x0201_4B50, &directory)
            for v in [20, 20, 0, 0, 0, 0x21] { put16(v, &directory) }
            put32(crc, &directory); put32(UInt32(data.count), &directory); put32(UInt32(data.count), &directory)
            for v in [file.count, 0, 0, 0, 0] { put16(v, &directory) }
            put32(0, &directory); put32(offset, &directory)
            directory += file
        }
        let directoryOffset = UInt32(bytes.count)
        bytes += directory
        put32(0x0605_4B50, &bytes)
        for v in [0, 0, arrays.count, arrays.count] { put16(v, &bytes) }
        put32(UInt32(directory.count), &bytes); put32(directoryOffset, &bytes); put16(0, &bytes)
        return bytes
    }
}
