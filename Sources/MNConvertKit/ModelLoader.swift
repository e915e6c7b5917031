import Foundation
import MNWFormat
import MobileNetIR
import ONNXImport
import TensorFlowImport

/// Which nodes of the source to feed and to return, for formats whose graphs can hold several
/// (TensorFlow GraphDefs); empty lists mean the model's own single input and output.
public struct NodeSelection: Sendable, Equatable {
    public var inputs: [String]
    public var outputs: [String]

    public init(inputs: [String] = [], outputs: [String] = []) {
        self.inputs = inputs
        self.outputs = outputs
    }

    public var isEmpty: Bool { inputs.isEmpty && outputs.isEmpty }
}

/// A model read from disk, as imported (faithful to its source, nothing folded).
public struct LoadedModel: Sendable {
    public var path: String
    public var format: ModelFormat
    public var graph: Graph
}

/// Reads any supported model file.
public enum ModelLoader {
    /// Reads and imports `path`. `selection` applies to TensorFlow graphs; for other formats it is
    /// an error when `strict`, and ignored otherwise (`verify A B` with one TensorFlow graph).
    public static func load(_ path: String, selecting selection: NodeSelection = .init(), strict: Bool = true) throws(MNConvertError) -> LoadedModel {
        let bytes = try readFile(path)
        guard let format = ModelFormat.detect(bytes) else {
            let detail = bytes.isEmpty ? "the file is empty" : "not a model mnconvert recognises (ONNX, TensorFlow .pb, Keras .h5/.keras, .mnw)"
            throw .input(path: path, message: "\(detail); check the path and that the file is complete")
        }
        guard selection.isEmpty || format == .tensorflowGraphDef || !strict else {
            throw .input(path: path, message: "--input-node and --output-node choose nodes of TensorFlow graphs; this file is \(format.rawValue)")
        }
        let graph: Graph
        switch format {
        case .onnx:
            do { graph = try ONNXImporter.importGraph(from: bytes) } catch { throw .input(path: path, message: error.description) }
        case .mnw:
            do { graph = try MNWFile.deserialize(bytes) } catch { throw .input(path: path, message: error.description) }
        case .tensorflowGraphDef:
            do {
                graph = try TensorFlowImporter.importGraph(from: bytes, options: .init(inputs: selection.inputs, outputs: selection.outputs))
            } catch { throw .input(path: path, message: error.description) }
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
