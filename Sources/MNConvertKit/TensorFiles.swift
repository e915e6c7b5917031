import MNWFormat
import MobileNetIR
import ONNXImport

/// Input and output tensors on disk: `.npy`, or ONNX `TensorProto` (`.pb`), chosen by content when
/// reading and by extension when writing.
public enum TensorFiles {
    public static func read(_ path: String) throws(MNConvertError) -> Tensor {
        let bytes = try ModelLoader.readFile(path)
        if bytes.starts(with: NumpyFile.magic) {
            do { return try NumpyFile.read(bytes) } catch { throw .input(path: path, message: error.description) }
        }
        do { return try ONNXTensorFile.read(bytes) } catch {
            throw .input(path: path, message: "neither .npy nor an ONNX TensorProto (.pb): \(error.description)")
        }
    }

    /// Writes `.npy` unless the path ends in `.pb`, through a temporary file and a rename.
    public static func write(_ tensor: Tensor, to path: String, name: String) throws(MNConvertError) {
        let bytes = path.hasSuffix(".pb") ? ONNXTensorFile.serialize(tensor, name: name) : NumpyFile.serialize(tensor)
        do { try AtomicFile.write(bytes, to: path) } catch { throw .output(path: path, message: error.description) }
    }
}
