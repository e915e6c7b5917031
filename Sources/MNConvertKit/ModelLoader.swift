import Foundation
import MNWFormat
import MobileNetIR
import ONNXImport

/// A model read from disk, as imported (faithful to its source, nothing folded).
public struct LoadedModel: Sendable {
    public var path: String
    public var format: ModelFormat
    public var graph: Graph
}

/// Reads any supported model file.
public enum ModelLoader {
    public static func load(_ path: String) throws(MNConvertError) -> LoadedModel {
        let bytes = try readFile(path)
        guard let format = ModelFormat.detect(bytes) else {
            let detail = bytes.isEmpty ? "the file is empty" : "not a model mnconvert recognises (ONNX, TensorFlow .pb, Keras .h5/.keras, .mnw)"
            throw .input(path: path, message: "\(detail); check the path and that the file is complete")
        }
        let graph: Graph
        switch format {
        case .onnx:
            do { graph = try ONNXImporter.importGraph(from: bytes) } catch { throw .input(path: path, message: error.description) }
        case .mnw:
            do { graph = try MNWFile.deserialize(bytes) } catch { throw .input(path: path, message: error.description) }
        case .tensorflowGraphDef:
            throw .input(path: path, message: "TensorFlow GraphDef files are recognised but not yet converted by this version of mnconvert; export the model to ONNX with tf2onnx meanwhile")
        case .hdf5, .kerasZip:
            throw .input(path: path, message: "Keras files are recognised but not yet converted by this version of mnconvert; export the model to ONNX with tf2onnx meanwhile")
        }
        return LoadedModel(path: path, format: format, graph: graph)
    }

    /// The whole file, or an input error that says why not.
    static func readFile(_ path: String) throws(MNConvertError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .input(path: path, message: "no such file")
        }
        guard !isDirectory.boolValue else { throw .input(path: path, message: "is a directory, not a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .input(path: path, message: "cannot be read (check its permissions)")
        }
        return Array(data)
    }
}
