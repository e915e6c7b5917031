import CProtobufFormats

/// A C array of `count` elements, as protobuf-c lays out every repeated field, as a Swift buffer
/// (empty for a NULL pointer). Valid only while the unpacked message lives.
public func cArray<T>(_ pointer: UnsafeMutablePointer<T>?, _ count: Int) -> UnsafeBufferPointer<T> {
    guard let pointer, count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
    return UnsafeBufferPointer(start: pointer, count: count)
}

/// A protobuf-c `string` field as a Swift string, `""` for NULL (an absent field).
public func cString(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

extension ProtobufCBinaryData {
    /// A `bytes` field's contents, valid while the unpacked message lives.
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: data, count: len) }

    /// A `bytes` field read as UTF-8 text (TensorFlow keeps strings in `bytes` fields).
    public var text: String { String(decoding: buffer, as: UTF8.self) }
}
