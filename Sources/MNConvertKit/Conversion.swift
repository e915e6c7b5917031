import GraphPasses
import InferenceCore
import MNWFormat
import MobileNetIR
import MobileNetV1
import Verification

/// `mnconvert IN OUT`: import, canonicalise, verify, write.
public enum Conversion {
    public struct Options: Sendable {
        public var fold = true
        public var verify = true
        public var samples = 4
        public var seed: UInt64 = 0
        public var tolerance = 1e-4
        public var selection = ImportOptions()
        /// Threads verification may use (nil: all cores).
        public var threads: Int?
        public init() {}
    }

    public struct Result: Sendable {
        public var source: LoadedModel
        public var graph: Graph
        public var passes: [PassReport]
        /// Nil when verification was turned off.
        public var verification: VerificationReport?
        public var bytesWritten: Int
    }

    /// Converts `inputPath` to `outputPath` (`.mnw`). Nothing is written unless import, the passes
    /// and verification all succeed; a verification failure throws `.disagreement` with the report.
    public static func convert(_ inputPath: String, to outputPath: String, options: Options) throws(MNConvertError) -> Result {
        guard outputPath.hasSuffix(".mnw") else {
            throw .output(path: outputPath, message: "unknown output format; mnconvert writes .mnw files (name the output *.mnw)")
        }
        let source = try ModelLoader.load(inputPath, options: options.selection)
        var (graph, passes) = options.fold ? Pipeline.run(source.graph) : (source.graph, [])
        if case .success(let model) = MobileNetV1Recognizer.recognize(graph) {
            graph.metadata.properties.merge(model.properties) { _, new in new }
        }

        var report: VerificationReport?
        if options.verify {
            do {
                report = try Comparison.compare(
                    reference: try ModelRunner(graph: source.graph, threads: options.threads),
                    candidate: try ModelRunner(graph: graph, threads: options.threads),
                    referenceName: "imported \(inputPath)", candidateName: "converted graph",
                    samples: options.samples, seed: options.seed, tolerance: options.tolerance)
            } catch {
                throw .input(path: inputPath, message: "the model cannot run: \(error.description)")
            }
            if let report, !report.agrees {
                throw .disagreement("the converted graph does not compute what \(inputPath) computes; nothing was written\n" + report.text())
            }
        }

        let written: Int
        do { written = try MNWFile.write(graph, to: outputPath) } catch {
            if case .writeFailed = error { throw .output(path: outputPath, message: error.reason) }
            throw .input(path: inputPath, message: error.description)
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

/// The verification report, as the CLI prints it.
public typealias VerificationReport = Verification.VerificationReport

/// The per-layer report and the cost report, as the CLI prints them.
public typealias PerLayerReport = Verification.PerLayerReport
public typealias CostReport = MobileNetV1.CostReport
