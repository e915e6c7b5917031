import ArgumentParser
import Foundation
import MNConvertKit
import MobileNetIR

extension TensorLayout: ExpressibleByArgument {}

/// `mnconvert`: convert MobileNetV1 models to `.mnw`, run them, and prove the conversion.
///
/// Exit status: 0 success; 2 an input cannot be read or converted faithfully; 3 the models
/// disagree; 4 an output cannot be written; 64 the command line is wrong.
@main
struct MNConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnconvert",
        abstract: "Convert MobileNetV1 models to .mnw and prove that the conversion is exact.",
        discussion: """
            Exit status: 0 success, 2 an input cannot be read or converted faithfully, \
            3 the models disagree, 4 an output cannot be written, 64 a usage error.
            """,
        subcommands: [Convert.self, Run.self, Verify.self, Info.self, Bench.self],
        defaultSubcommand: Convert.self)
}

/// Prints `error` as one line on stderr and exits with its status.
func fail(_ error: MNConvertError) -> Never {
    FileHandle.standardError.write(Data("mnconvert: error: \(error.message)\n".utf8))
    exit(error.exitCode)
}

func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

struct VerificationOptions: ParsableArguments {
    @Option(help: "Seeded random inputs to verify on.")
    var samples = 4

    @Option(help: "Seed of the random inputs.")
    var seed: UInt64 = 0

    @Option(help: "Largest accepted max|d| / max|ref|.")
    var tolerance = 1e-4

    func validate() throws {
        guard samples >= 1, samples <= 256 else { throw ValidationError("--samples must be between 1 and 256") }
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a non-negative number") }
    }
}

/// How much of the machine the inference core may use, wherever it runs.
struct CoreOptions: ParsableArguments {
    @Option(help: "Threads the kernels may use (default, and at most: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }
}

enum ClassifierActivation: String, ExpressibleByArgument, CaseIterable {
    case softmax, linear
}

/// What a source file may not say about itself: the nodes of a TensorFlow graph with several,
/// the resolution and classifier of a Keras weights-only file.
struct NodeOptions: ParsableArguments {
    @Option(name: .customLong("input-node"), help: "TensorFlow graphs: the node to feed (default: the graph's one Placeholder).")
    var inputNodes: [String] = []

    @Option(name: .customLong("output-node"), help: "TensorFlow graphs: the node to return (default: the graph's one sink).")
    var outputNodes: [String] = []

    @Option(help: "The input side to declare (Keras weights-only files: default 224).")
    var resolution: Int?

    @Option(help: "Keras weights-only files: the classifier's activation, softmax (default) or linear.")
    var classifierActivation: ClassifierActivation?

    func validate() throws {
        if let resolution, !(1...8192).contains(resolution) { throw ValidationError("--resolution must be between 1 and 8192") }
    }

    var selection: ImportOptions {
        ImportOptions(inputs: inputNodes, outputs: outputNodes, resolution: resolution, classifierActivation: classifierActivation?.rawValue)
    }
}

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a model, fold it into canonical form, verify it, and write .mnw.",
        discussion: "The input format (ONNX, TensorFlow .pb, Keras .h5 / .weights.h5 / .keras, .mnw) is read from the file's content. Nothing is written unless verification passes.")

    @Argument(help: "The source model.")
    var input: String

    @Argument(help: "The .mnw file to write.")
    var output: String

    @Option(name: .customLong("input"), help: "TensorFlow graphs: the node to feed (same as --input-node).")
    var inputNode: [String] = []

    @Option(name: .customLong("output"), help: "TensorFlow graphs: the node to return (same as --output-node).")
    var outputNode: [String] = []

    @OptionGroup var nodes: NodeOptions

    @Flag(help: "Write the graph as imported, without the canonicalising passes.")
    var noFold = false

    @Flag(help: "Skip verification.")
    var noVerify = false

    @OptionGroup var verification: VerificationOptions

    @OptionGroup var core: CoreOptions

    @Flag(help: "Print the verification report as JSON.")
    var json = false

    func run() throws {
        var options = Conversion.Options()
        options.threads = core.threads
        options.fold = !noFold
        options.verify = !noVerify
        options.samples = verification.samples
        options.seed = verification.seed
        options.tolerance = verification.tolerance
        options.selection = nodes.selection
        options.selection.inputs += inputNode
        options.selection.outputs += outputNode
        let result: Conversion.Result
        do { result = try Conversion.convert(input, to: output, options: options) } catch { fail(error) }
        if json, let report = result.verification {
            printOut(report.json())
            return
        }
        let graph = result.graph
        printOut("\(input): \(result.source.format.rawValue) from \(graph.metadata.producer.isEmpty ? "an unnamed producer" : graph.metadata.producer), \(result.source.graph.nodes.count) nodes")
        let rewrites = result.passes.filter { $0.rewrites > 0 }.map { "\($0.pass) \($0.rewrites)" }
        if !rewrites.isEmpty { printOut("passes: " + rewrites.joined(separator: ", ") + "; \(graph.nodes.count) nodes remain") }
        if let report = result.verification { printOut(report.text()) }
        printOut("wrote \(output) (\(result.bytesWritten) bytes)")
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on an input tensor and write its output.",
        discussion: "Tensors are .npy (float32) or ONNX TensorProto .pb files.")

    @Argument(help: "The model, in any supported format.")
    var model: String

    @Option(help: "The input tensor (.npy or .pb).")
    var input: String

    @Option(help: "Where to write the output tensor (.npy, or .pb).")
    var output: String

    @Option(help: "Layout of the input tensor: nchw or nhwc (default: the source model's own).")
    var layout: TensorLayout?

    @OptionGroup var nodes: NodeOptions

    @OptionGroup var core: CoreOptions

    func run() throws {
        do {
            let tensor = try Execution.run(model: model, input: input, output: output, layout: layout, selection: nodes.selection,
                                           threads: core.threads)
            printOut("wrote \(output): shape \(tensor.shape)")
        } catch { fail(error) }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that two models compute the same thing, or a model against expected outputs.",
        discussion: """
            verify A B              runs both on the same seeded random inputs
            verify A --input X --expected Y   compares A's output on X with Y
            Exit status 0 when they agree, 3 when they do not.
            """)

    @Argument(help: "The reference model.")
    var reference: String

    @Argument(help: "The model to check against it.")
    var candidate: String?

    @Option(help: "An input tensor (.npy or .pb), with --expected.")
    var input: String?

    @Option(help: "The expected output for --input.")
    var expected: String?

    @Option(help: "Layout of --input: nchw or nhwc (default: the source model's own).")
    var layout: TensorLayout?

    @OptionGroup var verification: VerificationOptions

    @OptionGroup var nodes: NodeOptions

    @OptionGroup var core: CoreOptions

    @Flag(help: "Compare every canonical MobileNetV1 layer and name the first that diverges (two models).")
    var perLayer = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        if perLayer, candidate == nil { throw ValidationError("--per-layer compares two models") }
        if candidate == nil {
            guard input != nil, expected != nil else { throw ValidationError("give a second model, or --input and --expected") }
        } else {
            guard input == nil, expected == nil else { throw ValidationError("--input and --expected go with one model, not two") }
        }
    }

    func run() throws {
        if perLayer, let candidate {
            let report: PerLayerReport
            do {
                report = try Inspection.perLayer(reference: reference, candidate: candidate, samples: verification.samples,
                                                 seed: verification.seed, tolerance: verification.tolerance, options: nodes.selection,
                                                 threads: core.threads)
            } catch { fail(error) }
            printOut(json ? report.json() : report.text())
            if !report.agrees { throw ExitCode(3) }
            return
        }
        let report: VerificationReport
        do {
            if let candidate {
                report = try Execution.verify(reference: reference, candidate: candidate, samples: verification.samples,
                                              seed: verification.seed, tolerance: verification.tolerance, selection: nodes.selection,
                                              threads: core.threads)
            } else {
                report = try Execution.verify(model: reference, input: input!, expected: expected!, layout: layout,
                                              tolerance: verification.tolerance, selection: nodes.selection, threads: core.threads)
            }
        } catch { fail(error) }
        printOut(json ? report.json() : report.text())
        if !report.agrees { throw ExitCode(3) }
    }
}


struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a MobileNetV1: alpha, resolution, classes, and the paper's parameters and mult-adds per layer.")

    @Argument(help: "The model, in any supported format.")
    var model: String

    @OptionGroup var nodes: NodeOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        do {
            var options = nodes.selection
            let resolution = options.resolution
            options.resolution = nil
            let report = try Inspection.info(model, resolution: resolution, options: options)
            printOut(json ? report.json() : report.text())
        } catch { fail(error) }
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the inference core on a model: batch 1, at its declared resolution.")

    @Argument(help: "The model, in any supported format.")
    var model: String

    @OptionGroup var core: CoreOptions

    @Option(help: "Timed runs.")
    var runs = 50

    @Option(help: "Untimed runs first.")
    var warmup = 5

    @OptionGroup var nodes: NodeOptions

    @Flag(help: "Time every layer and compare it with its compute floor.")
    var perLayer = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard runs >= 1, warmup >= 0 else { throw ValidationError("--runs must be at least 1 and --warmup at least 0") }
    }

    func run() throws {
        let threads = Benchmark.threads(core.threads)
        if perLayer {
            do {
                let layers = try Benchmark.perLayer(model, threads: threads, runs: runs, options: nodes.selection)
                let peak = Benchmark.peak(threads: threads)
                // A layer's floor: its mult-adds at the measured FMA peak.
                func floor(_ multAdds: Int) -> Double { 2 * Double(multAdds) / (peak * 1e9) * 1e3 }
                printOut("node                                              op                ms  floor ms   GFLOP/s  % of peak")
                for l in layers {
                    let gflops = l.ms > 0 ? 2 * Double(l.multAdds) / (l.ms / 1e3) / 1e9 : 0
                    printOut(String(format: "%@ %@ %8.3f %9.3f %9.1f %9.0f%%", String(l.node.suffix(49)).padding(toLength: 49, withPad: " ", startingAt: 0),
                                    l.op.padding(toLength: 14, withPad: " ", startingAt: 0), l.ms, floor(l.multAdds), gflops, 100 * gflops / peak))
                }
                printOut(String(format: "total %.3f ms, floor %.3f ms at the measured %.1f GFLOP/s peak", layers.reduce(0) { $0 + $1.ms },
                                floor(layers.reduce(0) { $0 + $1.multAdds }), peak))
            } catch { fail(error) }
            return
        }
        let result: Benchmark.Result
        do { result = try Benchmark.run(model, threads: threads, runs: runs, warmup: warmup, options: nodes.selection) } catch { fail(error) }
        printOut(json ? result.json() : result.text(model: model))
    }
}
