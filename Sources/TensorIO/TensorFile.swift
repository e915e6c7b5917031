import MobileNetIR
import ProtobufFormats

/// Input and output tensors on disk: `.npy`, or ONNX `TensorProto` (`.pb`, as in ONNX's test
/// data sets), chosen by content when reading and by extension when writing.
public enum TensorFile {
    public static func read(_ path: String) throws(TensorIOError) -> Tensor {
        let bytes = try MappedFile.contents(of: path)
        if bytes.starts(with: NumpyFile.magic) { return try NumpyFile.read(bytes) }
        do {
            return try bytes.withBytes { (raw) throws(TensorProtoError) in try ProtoTensor(onnxBytes: raw).tensor }
        } catch {
            throw .notATensor(error)
        }
    }

    /// Several named tensors as one `.npz` archive, through a temporary file and a rename.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], toArchive path: String) throws(TensorIOError) {
        try AtomicFile.write(try NumpyArchive.serialize(tensors), to: path)
    }

    /// Writes `.npy` unless the path ends in `.pb`, through a temporary file and a rename.
    public static func write(_ tensor: Tensor, to path: String, name: String) throws(TensorIOError) {
        try AtomicFile.write(path.hasSuffix(".pb") ? ProtoTensor.onnxBytes(tensor, name: name) : NumpyFile.serialize(tensor), to: path)
    }
}
