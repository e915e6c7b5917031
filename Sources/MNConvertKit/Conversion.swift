import GraphPasses
import InferenceCore
import MNWFormat
import MobileNetIR
import MobileNetV1
import ONNXExport
import ONNXImport
import TFLiteImport
import TensorIO
import Verification

/// `mnconvert IN OUT`: import, canonicalise, verify, write.
public enum Conversion {
    public struct Options: Sendable {
        public var fold = true
        public var verify = true
        /// One sample checks every weight and every fold at the model's resolution, at two
        /// inferences; more add confidence in top-1 agreement at two inferences each
        /// (`verify`, the CI gate, defaults to 4).
        public var samples = 1
        public var seed: UInt64 = 0
        public var tolerance = 1e-4
        public var selection = ImportOptions()
        /// Threads verification may use (nil: all cores).
        public var threads: Int?
        /// The image preprocessing to record in the written model (nil: what the source tells,
        /// if anything).
        public var preprocessing: Preprocessing?
        /// ONNX output: the opset, and the layout the written model takes its image in.
        public var opset = 13
        public var inputLayout: TensorLayout = .nchw
        public init() {}
    }

    public struct Result: Sendable {
        public var source: LoadedModel
        public var graph: Graph
        public var passes: [PassReport]
        /// Nil when verification was turned off.
        public var verification: VerificationReport?
        /// The size of the file written; nil when verification found a disagreement and nothing
        /// was written.
        public var bytesWritten: Int?
    }

    /// The formats mnconvert writes, chosen by the output's extension.
    public enum OutputFormat: String, Sendable, CaseIterable {
        case mnw, onnx, tflite

        public init?(path: String) {
            guard let dot = path.lastIndex(of: "."), let format = OutputFormat(rawValue: path[path.index(after: dot)...].lowercased()) else { return nil }
            self = format
        }
    }

    /// Converts `inputPath` to `outputPath` (`.mnw`, `.onnx` or `.tflite`). Nothing is written unless import,
    /// the passes and verification all succeed: when the converted model disagrees with the
    /// imported one, the result holds the report and no `bytesWritten`. An ONNX or TFLite file is
    /// read back with mnconvert's own importer, and that is what verification compares with the source.
    public static func convert(_ inputPath: String, to outputPath: String, options: Options) throws(MNConvertError) -> Result {
        guard let format = OutputFormat(path: outputPath) else {
            throw .output(path: outputPath, message: "unknown output format; mnconvert writes .mnw, .onnx and .tflite files (name the output *.mnw, *.onnx or *.tflite)")
        }
        let source = try ModelLoader.load(inputPath, options: options.selection)
        var (graph, passes) = options.fold ? Pipeline.run(source.graph) : (source.graph, [])
        var layerNames: [String: String] = [:]
        var known: Preprocessing?
        if case .success(let model) = MobileNetV1Recognizer.recognize(graph) {
            known = ImageInput.knownPreprocessing(of: graph, recognized: model)
            graph.metadata.properties.merge(model.properties) { _, new in new }
            for layer in model.layers { layerNames[graph.nodes[layer.node].name] = layer.name }
        }
        graph.metadata.properties["mnconvert_version"] = MNConvertVersion.current
        graph.metadata.preprocessing = options.preprocessing ?? known ?? graph.metadata.preprocessing

        // What verification compares with the source: the converted graph, or the ONNX or TFLite
        // file as mnconvert's importer reads it back.
        var candidate = graph, candidateName = "converted graph"
        var bytes: [UInt8]?
        if format != .mnw {
            let written = format == .onnx
                ? try ONNXWriting.serialize(graph, layerNames: layerNames, options: options, inputPath: inputPath)
                : try TFLiteWriting.serialize(graph, layerNames: layerNames, inputPath: inputPath)
            bytes = written
            if options.verify {
                let readBack: Graph
                do {
                    readBack = format == .onnx ? try ONNXImporter.importGraph(from: written) : try TFLiteImporter.importGraph(from: written)
                } catch {
                    throw .input(path: inputPath, message: "the written \(format == .onnx ? "ONNX" : "TFLite") cannot be read back (\(error)); please report this")
                }
                candidate = Pipeline.run(readBack).graph
                candidateName = "\(outputPath) as written and read back"
            }
        }

        var report: VerificationReport?
        if options.verify {
            // The passes leave most weights as they were (all of them, when the exporter folded
            // the batch norms already): those are packed once for both graphs.
            let sharing = WeightSharing()
            do {
                report = try Comparison.compare(
                    reference: try ModelRunner(graph: source.graph, threads: options.threads, sharing: sharing),
                    candidate: try ModelRunner(graph: candidate, threads: options.threads, sharing: sharing),
                    referenceName: "imported \(inputPath)", candidateName: candidateName,
                    samples: options.samples, seed: options.seed, tolerance: options.tolerance)
            } catch {
                throw .input(path: inputPath, message: "the model cannot run: \(error.description)")
            }
            if let report, !report.agrees {
                return Result(source: source, graph: graph, passes: passes, verification: report, bytesWritten: nil)
            }
        }

        let written: Int
        if let bytes {
            do { try AtomicFile.write(bytes, to: outputPath) } catch { throw .output(path: outputPath, message: error.reason) }
            written = bytes.count
        } else {
            do { written = try MNWFile.write(graph, to: outputPath) } catch {
                if case .writeFailed = error { throw .output(path: outputPath, message: error.reason) }
                throw .input(path: inputPath, message: error.description)
            }
        }
        return Result(source: source, graph: graph, passes: passes, verification: report, bytesWritten: written)
    }
}

extension MNWError {
    /// The part of a write failure that is not the path.
    var reason: String {
        if case .writeFailed(_, let reason) = self { return "cannot write: \(reason)" }
        return description
    }
}


extension Conversion.Result {
    /// What `convert --json` prints: what was read, what the passes did, what was written (null
    /// when nothing was) and the verification report (null with `--no-verify`).
    struct Summary: Encodable {
        var input: String
        var format: String
        var producer: String
        var importedNodes: Int
        var nodes: Int
        var passes: [String: Int]
        var output: String
        var bytesWritten: Int?
        var verification: VerificationReport?
        var mnconvertVersion: String

        enum CodingKeys: String, CodingKey {
            case input, format, producer, importedNodes = "imported_nodes", nodes, passes, output
            case bytesWritten = "bytes_written", verification, mnconvertVersion = "mnconvert_version"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(input, forKey: .input)
            try c.encode(format, forKey: .format)
            try c.encode(producer, forKey: .producer)
            try c.encode(importedNodes, forKey: .importedNodes)
            try c.encode(nodes, forKey: .nodes)
            try c.encode(passes, forKey: .passes)
            try c.encode(output, forKey: .output)
            try c.encode(bytesWritten, forKey: .bytesWritten)
            try c.encode(verification, forKey: .verification)
            try c.encode(mnconvertVersion, forKey: .mnconvertVersion)
        }
    }

    /// The result as `convert --json` prints it, for the file written (or not) at `output`.
    public func json(output: String) -> String {
        JSONText.report(Summary(
            input: source.path, format: source.format.rawValue, producer: graph.metadata.producer, importedNodes: source.graph.nodes.count,
            nodes: graph.nodes.count, passes: Dictionary(passes.map { ($0.pass, $0.rewrites) }, uniquingKeysWith: +), output: output,
            bytesWritten: bytesWritten, verification: verification, mnconvertVersion: MNConvertVersion.current))
    }

    /// The result as `convert` prints it: the source, the passes, the report, what was written.
    public func text(output: String) -> String {
        var lines = ["\(source.path): \(source.format.rawValue) from \(graph.metadata.producer.isEmpty ? "an unnamed producer" : graph.metadata.producer), \(source.graph.nodes.count) nodes"]
        if let weights = source.graph.metadata.properties["tflite_weights"], weights.contains("int8") {
            lines.append("note: its int8 weights are dequantized (scale x (q - zero point)) and computed in fp32; LiteRT's hybrid kernels "
                         + "also round activations to int8, so LiteRT's outputs differ from these by about 1e-3 of their range")
        }
        if let subgraphs = source.graph.metadata.properties["tflite_subgraphs"] {
            lines.append("note: the file holds \(subgraphs.replacingOccurrences(of: " (the first imported)", with: "")) subgraphs; the first, the model's main one, is converted")
        }
        let rewrites = passes.filter { $0.rewrites > 0 }.map { "\($0.pass) \($0.rewrites)" }
        if !rewrites.isEmpty { lines.append("passes: " + rewrites.joined(separator: ", ") + "; \(graph.nodes.count) nodes remain") }
        if let verification { lines.append(verification.text()) }
        if let bytesWritten { lines.append("wrote \(output) (\(bytesWritten) bytes)") }
        return lines.joined(separator: "\n")
    }
}
