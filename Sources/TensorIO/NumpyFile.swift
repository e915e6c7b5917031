import MobileNetIR

/// `.npy` files (NumPy's format, versions 1.0 to 3.0): float32 and float64 arrays in C order.
public enum NumpyFile {
    public static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    public static func read(_ bytes: [UInt8]) throws(TensorIOError) -> Tensor {
        guard bytes.count >= 10, bytes.starts(with: magic) else { throw .unsupportedNumpy("not a .npy file") }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw .unsupportedNumpy("not a .npy file") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default: throw .unsupportedNumpy("format version \(major)")
        }
        guard headerStart + headerLength <= bytes.count else { throw .truncatedNumpy(expected: headerStart + headerLength, actual: bytes.count) }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)

        guard let descr = value(of: "descr", in: header)?.trimmingQuotes else { throw .unsupportedNumpy("no descr") }
        guard value(of: "fortran_order", in: header) == "False" else { throw .unsupportedNumpy("Fortran order") }
        guard let shapeText = value(of: "shape", in: header) else { throw .unsupportedNumpy("no shape") }
        let shape = shapeText.filter { !"() ".contains($0) }.split(separator: ",").compactMap { Int($0) }
        guard let count = checkedElementCount(shape) else { throw .unsupportedNumpy("shape \(shape)") }

        let width: Int
        switch descr {
        case "<f4", "|f4": width = 4
        case "<f8": width = 8
        default: throw .unsupportedNumpy("dtype \(descr)")
        }
        let dataStart = headerStart + headerLength
        guard bytes.count - dataStart == count * width else {
            throw .truncatedNumpy(expected: dataStart + count * width, actual: bytes.count)
        }
        let values: [Float] = bytes.withUnsafeBytes { raw in
            (0..<count).map { i in
                width == 4
                    ? Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + i * 4, as: UInt32.self)))
                    : Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + i * 8, as: UInt64.self))))
            }
        }
        return Tensor(shape: shape, data: values)
    }

    /// A version 1.0 float32 file; the header is padded so the data starts at a multiple of 64.
    public static func serialize(_ tensor: Tensor) -> [UInt8] {
        let shapeText = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var bytes = magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        bytes.reserveCapacity(bytes.count + tensor.count * 4)
        for value in tensor.data { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    /// The text after `'key':` in a NumPy header dict, up to the next top-level comma.
    private static func value(of key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        var depth = 0, result = ""
        for character in header[range.upperBound...] {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if (character == "," && depth == 0) || character == "}" { break }
            result.append(character)
        }
        return result.trimmingCharacters(in: " ")
    }
}

private extension String {
    var trimmingQuotes: String { trimmingCharacters(in: "'\"") }

    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let first = s.first, set.contains(first) { s.removeFirst() }
        while let last = s.last, set.contains(last) { s.removeLast() }
        return String(s)
    }
}
