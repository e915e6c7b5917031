// libFuzzer target: the TFLite importer (and the flatbuffer reader under it) on arbitrary bytes.
// Built by Scripts/fuzz-libfuzzer.sh with AddressSanitizer; every input must import or be
// refused with a TFLiteImportError.
import TFLiteImport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTFLiteImport(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
    _ = try? TFLiteImporter.importGraph(from: bytes)
    return 0
}
