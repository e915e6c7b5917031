import GraphPasses
import MNWFormat
import MobileNetIR
import ONNXImport
import KerasImport
import TensorFlowImport
import TensorIO
import TFLiteImport

/// The classifier activation of a Keras weights-only file, as the CLI names it.
public typealias ClassifierActivation = KerasImporter.ClassifierActivation

/// What the user says about a source that the file itself may not.
public struct ImportOptions: Sendable, Equatable {
    /// TensorFlow graphs: the nodes to feed and to return (empty: the graph's one Placeholder and
    /// its one sink).
    public var inputs: [String]
    public var outputs: [String]
    /// The input side to declare (rank-4 inputs of any format); for Keras weights-only files,
    /// which carry none, the default is 224.
    public var resolution: Int?
    /// Keras weights-only files with a top: `softmax` (default) or `linear`.
    public var classifierActivation: ClassifierActivation?
    /// Keras (HDF5) files: read in a child process under limits (`ImportIsolation`), or
    /// in-process when nil.
    public var isolation: ImportIsolation?

    public init(inputs: [String] = [], outputs: [String] = [], resolution: Int? = nil,
                classifierActivation: ClassifierActivation? = nil, isolation: ImportIsolation? = nil) {
        self.inputs = inputs
        self.outputs = outputs
        self.resolution = resolution
        self.classifierActivation = classifierActivation
        self.isolation = isolation
    }

    var selectsNodes: Bool { !inputs.isEmpty || !outputs.isEmpty }
    var describesKeras: Bool { classifierActivation != nil }
}

/// A model read from disk, as imported (faithful to its source, nothing folded).
public struct LoadedModel: Sendable {
    public var path: String
    public var format: ModelFormat
    public var graph: Graph

    /// The graph in canonical form: a `.mnw` already is; any other source goes through the passes.
    public var canonicalGraph: Graph { format == .mnw ? graph : Pipeline.run(graph).graph }
}

/// Reads any supported model file.
public enum ModelLoader {
    /// Reads and imports `path`. Options that do not apply to the file's format are an error when
    /// `strict`, and ignored otherwise (`verify A B` where only one of the two is TensorFlow).
    public static func load(_ path: String, options: ImportOptions = .init(), strict: Bool = true) throws(MNConvertError) -> LoadedModel {
        let file: MappedFile
        do { file = try MappedFile(path) } catch { throw .input(path: path, message: error.reason) }
        let bytes = file.bytes
        // The format shows in the first bytes (a protobuf field running past them is kept).
        guard let format = ModelFormat.detect(Array(bytes.prefix(1 << 16))) else {
            let detail = bytes.isEmpty ? "the file is empty" : "not a model mnconvert recognises (ONNX, TensorFlow .pb, Keras .h5/.keras, TFLite, .mnw)"
            throw .input(path: path, message: "\(detail); check the path and that the file is complete")
        }
        if strict, options.selectsNodes, format != .tensorflowGraphDef {
            throw .input(path: path, message: "--input-node and --output-node choose nodes of TensorFlow graphs; this file is \(format.rawValue)")
        }
        if strict, options.describesKeras, format != .hdf5, format != .kerasZip {
            throw .input(path: path, message: "--classifier-activation describes Keras weights-only files; this file is \(format.rawValue)")
        }
        let graph: Graph
        switch format {
        case .onnx:
            do { graph = try ONNXImporter.importGraph(from: bytes) } catch { throw .input(path: path, message: error.description) }
        case .mnw:
            do { graph = try MNWFile.deserialize(bytes) } catch { throw .input(path: path, message: error.description) }
        case .tensorflowGraphDef:
            do {
                graph = try TensorFlowImporter.importGraph(from: bytes, options: .init(inputs: options.inputs, outputs: options.outputs))
            } catch { throw .input(path: path, message: error.description) }
        case .tflite:
            do { graph = try TFLiteImporter.importGraph(from: Array(bytes)) } catch { throw .input(path: path, message: error.description) }
        case .hdf5, .kerasZip:
            if let isolation = options.isolation {
                graph = try IsolatedImport.load(path, options: options, isolation: isolation)
                break
            }
            let keras = KerasImporter.Options(resolution: options.resolution, classifierActivation: options.classifierActivation ?? .softmax)
            do { graph = try KerasImporter.importModel(at: path, options: keras) } catch { throw .input(path: path, message: error.description) }
        }
        withExtendedLifetime(file) {}
        return LoadedModel(path: path, format: format, graph: options.resolution.map { graph.declaringResolution($0) } ?? graph)
    }
}
