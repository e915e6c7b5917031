/// The kinds of model file mnconvert recognises, told apart by content, never by extension.
public enum ModelFormat: String, Sendable, CaseIterable {
    case onnx
    case tensorflowGraphDef = "tensorflow"
    case hdf5 = "keras-hdf5"
    case kerasZip = "keras"
    case tflite
    case mnw

    /// The format of a file from its first bytes.
    ///
    /// `.mnw`, HDF5 and zip have magic numbers; a TFLite flatbuffer has `TFL3` after its root
    /// offset. ONNX models and TensorFlow GraphDefs are both bare
    /// protobuf messages; they differ in their first-level fields: a ModelProto starts with
    /// `ir_version` (field 1, a varint) and holds its graph in field 7, while a GraphDef's field 1
    /// is a node (length-delimited) and it has no field 7.
    public static func detect(_ bytes: [UInt8]) -> ModelFormat? {
        if bytes.starts(with: [0x89, 0x4D, 0x4E, 0x57, 0x0D, 0x0A, 0x1A, 0x0A]) { return .mnw }
        if bytes.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { return .hdf5 }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .kerasZip }
        if bytes.count >= 8, Array(bytes[4..<8]) == Array("TFL3".utf8) { return .tflite }
        guard let fields = topLevelFields(bytes, limit: 64) else { return nil }
        if fields.contains(where: { $0.number == 7 && $0.wireType == 2 }) || fields.first.map({ $0.number == 1 && $0.wireType == 0 }) == true {
            return .onnx
        }
        if fields.contains(where: { $0.number == 1 && $0.wireType == 2 }) && fields.allSatisfy({ [1, 2, 3, 4, 5].contains($0.number) }) {
            return .tensorflowGraphDef
        }
        return nil
    }

    /// The (field number, wire type) of up to `limit` top-level fields, or nil when the bytes are
    /// not a well-formed protobuf message over that stretch. A field whose value runs past the end
    /// is kept and ends the scan: the file is a truncated message of its kind, which its importer
    /// then reports as truncated rather than as an unknown format.
    static func topLevelFields(_ bytes: [UInt8], limit: Int) -> [(number: UInt64, wireType: UInt64)]? {
        var fields: [(UInt64, UInt64)] = []
        var position = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0, shift: UInt64 = 0
            while position < bytes.count, shift < 64 {
                let byte = bytes[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while position < bytes.count, fields.count < limit {
            guard let key = varint() else { return nil }
            let number = key >> 3, wireType = key & 7
            guard number > 0 else { return nil }
            switch wireType {
            case 0: guard varint() != nil else { return nil }
            case 1: position += 8
            case 2:
                guard let length = varint() else { return nil }
                position += Int(clamping: min(length, UInt64(bytes.count) + 1))
            case 5: position += 4
            default: return nil
            }
            fields.append((number, wireType))
            if position > bytes.count { break }
        }
        return fields.isEmpty ? nil : fields
    }
}
