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
        version: MNConvertVersion.current,
        subcommands: [Convert.self, Run.self, Verify.self, Info.self, Bench.self, ImportInChild.self],
        defaultSubcommand: Convert.self)
}

/// Prints `error` as one line on stderr and exits with its status. Control characters a file put
/// in a name (a newline in a node's name) are escaped, so the line stays one line.
func fail(_ error: MNConvertError) -> Never {
    let line = error.message.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    FileHandle.standardError.write(Data("mnconvert: error: \(line)\n".utf8))
    exit(error.exitCode)
}

/// Prints a warning line on stderr (the command goes on).
func warn(_ text: String) {
    FileHandle.standardError.write(Data("mnconvert: warning: \(text)\n".utf8))
}

/// Writes a report file whole, or fails with status 4.
func write(_ text: String, to path: String) {
    do { try Reports.write(text, to: path) } catch { fail(error) }
}

func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

struct VerificationOptions: ParsableArguments {
    @Option(help: "Seeded random inputs to verify on (default: 1 when converting, 4 in verify).")
    var samples: Int?

    @Option(help: "Seed of the random inputs.")
    var seed: UInt64 = 0

    @Option(help: "Largest accepted max|d| / max|ref|.")
    var tolerance = 1e-4

    func validate() throws {
        guard (1...256).contains(samples ?? 1) else { throw ValidationError("--samples must be between 1 and 256") }
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

extension ClassifierActivation: ExpressibleByArgument {}

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
        if let importTimeout, !(importTimeout > 0 && importTimeout <= 86400) { throw ValidationError("--import-timeout must be between 0 and 86400 seconds") }
    }

    @Option(help: "Keras files: seconds the HDF5 reading (in a child process) may take. (default: 20)")
    var importTimeout: Double?

    var selection: ImportOptions {
        var options = ImportOptions(inputs: inputNodes, outputs: outputNodes, resolution: resolution, classifierActivation: classifierActivation)
        // Keras files are read by a child process of this binary, which libhdf5 cannot take down.
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        options.isolation = ImportIsolation(executable: executable, timeout: importTimeout ?? ImportIsolation.defaultTimeout)
        return options
    }
}

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a model, fold it into canonical form, verify it, and write .mnw, .onnx or .tflite.",
        discussion: "The input format (ONNX, TensorFlow .pb, Keras .h5 / .weights.h5 / .keras, .mnw) is read from the file's content. Nothing is written unless verification passes.")

    @Argument(help: "The source model.")
    var input: String

    @Argument(help: "The file to write: .mnw, .onnx or .tflite (the last two read back and verified too).")
    var output: String

    @Option(name: .customLong("input"), help: ArgumentHelp("Deprecated spelling of --input-node.", visibility: .hidden))
    var inputNode: [String] = []

    @Option(name: .customLong("output"), help: ArgumentHelp("Deprecated spelling of --output-node.", visibility: .hidden))
    var outputNode: [String] = []

    @OptionGroup var nodes: NodeOptions

    @Flag(help: "Write the graph as imported, without the canonicalising passes.")
    var noFold = false

    @Flag(help: "Skip verification.")
    var noVerify = false

    @OptionGroup var verification: VerificationOptions

    @OptionGroup var core: CoreOptions

    @OptionGroup var preprocessing: PreprocessOptions

    @Option(help: "ONNX output: the opset to write (11 to 21; the IR version follows it).")
    var opset = 13

    @Option(help: "ONNX output: the layout the written model takes its image in, nchw or nhwc (one Transpose after the input).")
    var inputLayout: TensorLayout = .nchw

    @Flag(help: "Print the result (what was read, the passes, the verification report, what was written) as JSON.")
    var json = false

    func validate() throws {
        guard Conversion.OutputFormat(path: output) != nil else {
            throw ValidationError("mnconvert writes .mnw, .onnx and .tflite files: name the output *.mnw, *.onnx or *.tflite, not '\(output)'")
        }
        guard (11...21).contains(opset) else { throw ValidationError("--opset must be between 11 and 21") }
    }

    func run() throws {
        if !inputNode.isEmpty { warn("convert --input NAME is deprecated; write --input-node NAME (in run and verify, --input is a tensor file)") }
        if !outputNode.isEmpty { warn("convert --output NAME is deprecated; write --output-node NAME (in run and verify, --output is a tensor file)") }
        var options = Conversion.Options()
        options.threads = core.threads
        options.fold = !noFold
        options.verify = !noVerify
        options.samples = verification.samples ?? options.samples
        options.seed = verification.seed
        options.tolerance = verification.tolerance
        options.selection = nodes.selection
        options.selection.inputs += inputNode
        options.selection.outputs += outputNode
        options.preprocessing = preprocessing.preprocessing()
        options.opset = opset
        options.inputLayout = inputLayout
        let result: Conversion.Result
        do { result = try Conversion.convert(input, to: output, options: options) } catch { fail(error) }
        printOut(json ? result.json(output: output) : result.text(output: output))
        if let reason = result.verification?.disagreement { fail(.disagreement("\(reason); \(output) was not written")) }
    }
}

enum PreprocessName: String, ExpressibleByArgument, CaseIterable {
    case keras, tfSlim = "tf-slim", torch, caffe, none
}

/// How images become the model's input: a named convention, or its numbers given one by one
/// (each given number replaces the named convention's, or `none`'s).
struct PreprocessOptions: ParsableArguments {
    @Option(help: "The model's image preprocessing: keras (x / 127.5 - 1), tf-slim (the same, central crop 87.5 %), torch (ImageNet mean and std), caffe (BGR mean subtraction, x 0.017) or none.")
    var preprocess: PreprocessName?

    @Option(help: "Pixel values (0 to 255) are multiplied by this first.")
    var scale: Float?

    @Option(help: "Then this is subtracted, per channel: three numbers, comma-separated.")
    var mean: String?

    @Option(help: "Then the result is divided by this, per channel: three numbers, comma-separated.")
    var std: String?

    @Flag(help: "The model takes its channels in BGR order.")
    var bgr = false

    @Option(help: "The centre fraction of the image's shorter side kept before resizing (0 to 1).")
    var crop: Double?

    static func triple(_ text: String?, _ option: String) throws -> [Float]? {
        guard let text else { return nil }
        let values = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 3, values.allSatisfy(\.isFinite) else { throw ValidationError("--\(option) takes three comma-separated numbers, as 0.485,0.456,0.406") }
        return values
    }

    func validate() throws {
        if let scale, !(scale.isFinite && scale != 0) { throw ValidationError("--scale must be a non-zero number") }
        if let std = try Self.triple(std, "std"), std.contains(0) { throw ValidationError("--std must not hold a zero") }
        _ = try Self.triple(mean, "mean")
        if let crop, !(crop > 0 && crop <= 1) { throw ValidationError("--crop must be in (0, 1]") }
    }

    /// What the user declared; nil when nothing was said. Any number given makes it custom.
    func preprocessing() -> Preprocessing? {
        let mean = (try? Self.triple(self.mean, "mean")) ?? nil, std = (try? Self.triple(self.std, "std")) ?? nil
        let custom = scale != nil || mean != nil || std != nil || bgr || crop != nil
        guard var p = preprocess.flatMap({ Preprocessing.named[$0.rawValue] }) ?? (custom ? Preprocessing(name: "custom") : nil) else { return nil }
        if custom { p.name = "custom" }
        if let scale { p.scale = scale }
        if let mean { p.mean = mean }
        if let std { p.std = std }
        if bgr { p.channels = .bgr }
        if let crop { p.cropFraction = crop }
        return p
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on an input tensor or an image and write or print its output.",
        discussion: """
            Tensors are .npy (float32) or ONNX TensorProto .pb files. Images are JPEG or PNG: the \
            centre of the shorter side is resized to the model's resolution (bilinear, half-pixel \
            centres, no antialiasing) and scaled as the model's preprocessing says.
            """)

    @Argument(help: "The model, in any supported format.")
    var model: String

    @Option(help: "The input tensor (.npy or .pb).")
    var input: String?

    @Option(help: "An input image (JPEG or PNG) instead of a tensor.")
    var image: String?

    @Option(help: "Where to write the output tensor (.npy, or .pb), or every output of the model (.npz); optional with --image.")
    var output: String?

    @Option(help: "With --image: print the K best classes with their scores and labels.")
    var top: Int?

    @Option(help: "With --top: class names, one a line (default: ImageNet's for 1000 or 1001 classes).")
    var labels: String?

    @Option(help: "With --image: also write the tensor the image became (.npy or .pb).")
    var saveInput: String?

    @OptionGroup var preprocessing: PreprocessOptions

    @Option(help: "Layout of the input tensor: nchw or nhwc (default: the source model's own).")
    var layout: TensorLayout?

    @OptionGroup var nodes: NodeOptions

    @OptionGroup var core: CoreOptions

    func validate() throws {
        guard (input == nil) != (image == nil) else { throw ValidationError("give an input tensor with --input or an image with --image") }
        if input != nil {
            guard output != nil else { throw ValidationError("--input needs --output") }
            guard top == nil, saveInput == nil, labels == nil else { throw ValidationError("--top, --labels and --save-input go with --image") }
        } else {
            guard output != nil || top != nil else { throw ValidationError("with --image, give --top K to print the best classes, or --output") }
            guard layout == nil else { throw ValidationError("--layout describes an --input tensor; an image is fed in the model's own layout") }
        }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        if labels != nil, top == nil { throw ValidationError("--labels goes with --top") }
    }

    func run() throws {
        guard let image else {
            do {
                let outputs = try Execution.run(model: model, input: input!, output: output!, layout: layout, selection: nodes.selection,
                                                threads: core.threads)
                if outputs.count == 1 {
                    printOut("wrote \(output!): shape \(outputs[0].tensor.shape)")
                } else {
                    printOut("wrote \(output!): " + outputs.map { "\($0.name) \($0.tensor.shape)" }.joined(separator: ", "))
                }
            } catch { fail(error) }
            return
        }
        var names: [String]?
        if let labels {
            do { names = try Labels.read(labels) } catch { fail(error) }
        }
        let result: Execution.ImageRun
        do {
            result = try Execution.run(model: model, image: image, preprocessing: preprocessing.preprocessing(), output: output, saveInput: saveInput,
                                       selection: nodes.selection, threads: core.threads)
        } catch { fail(error) }
        let p = result.preprocessing
        printOut("\(image): \(result.input.shape) input, preprocessing \(p.name) (scale \(p.scale), mean \(p.mean), std \(p.std), \(p.channels.rawValue), crop \(p.cropFraction))")
        if let top {
            for (rank, best) in ImageInput.top(top, of: result.output, labels: names).enumerated() {
                printOut(String(format: "%3d. %10.6f  class %4d", rank + 1, best.score, best.index) + (best.label.map { "  " + $0 } ?? ""))
            }
        }
        if let output { printOut("wrote \(output): shape \(result.output.shape)") }
        if let saveInput { printOut("wrote \(saveInput): shape \(result.input.shape)") }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that two models compute the same thing, or a model against expected outputs.",
        discussion: """
            verify A B              runs both on the same seeded random inputs
            verify A B --image P    runs both on a picture (JPEG or PNG)
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

    @Option(help: "Also write the report as JUnit XML to this file (one test case per output, or per layer).")
    var junit: String?

    @Option(help: "Compare the two models on this image (JPEG or PNG) instead of random inputs.")
    var image: String?

    @OptionGroup var preprocessing: PreprocessOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        if perLayer, candidate == nil { throw ValidationError("--per-layer compares two models") }
        if image != nil, candidate == nil || perLayer { throw ValidationError("--image compares two models on a picture (without --per-layer)") }
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
                report = try Inspection.perLayer(reference: reference, candidate: candidate, samples: verification.samples ?? 4,
                                                 seed: verification.seed, tolerance: verification.tolerance, options: nodes.selection,
                                                 threads: core.threads)
            } catch { fail(error) }
            printOut(json ? report.json() : report.text())
            if let junit { write(JUnitReport.xml(report), to: junit) }
            if let first = report.firstDivergence {
                fail(.disagreement("\(candidate) diverges from \(reference) at layer \(first.layer) (\(String(format: "%.1e", first.metrics.relativeToRange)) of its range)"))
            }
            return
        }
        let report: VerificationReport
        do {
            if let candidate {
                report = try Execution.verify(reference: reference, candidate: candidate, samples: verification.samples ?? 4,
                                              seed: verification.seed, tolerance: verification.tolerance, selection: nodes.selection,
                                              threads: core.threads, image: image, preprocessing: preprocessing.preprocessing())
            } else {
                report = try Execution.verify(model: reference, input: input!, expected: expected!, layout: layout,
                                              tolerance: verification.tolerance, selection: nodes.selection, threads: core.threads)
            }
        } catch { fail(error) }
        printOut(json ? report.json() : report.text())
        if let junit { write(JUnitReport.xml(report), to: junit) }
        if let reason = report.disagreement { fail(.disagreement(reason)) }
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
            let report: Benchmark.LayerReport
            do { report = try Benchmark.perLayer(model, threads: threads, runs: runs, options: nodes.selection) } catch { fail(error) }
            printOut(json ? report.json() : report.text())
            return
        }
        let result: Benchmark.Result
        do { result = try Benchmark.run(model, threads: threads, runs: runs, warmup: warmup, options: nodes.selection) } catch { fail(error) }
        printOut(json ? result.json() : result.text(model: model))
    }
}

/// `mnconvert import-in-child IN OUT.mnw`: not for users. Reads a Keras file with libhdf5 under a
/// memory limit and hands the imported graph to the parent mnconvert as `.mnw` (`ImportIsolation`).
struct ImportInChild: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: ImportIsolation.subcommand, shouldDisplay: false)

    @Argument var input: String
    @Argument var output: String
    @Option var memoryLimit: Int = ImportIsolation.defaultMemoryLimit
    @Option var resolution: Int?
    @Option var classifierActivation: ClassifierActivation?

    func run() throws {
        ImportIsolation.limitMemory(to: memoryLimit)
        do {
            try ImportIsolation.importInChild(input: input, output: output,
                                              options: ImportOptions(resolution: resolution, classifierActivation: classifierActivation))
        } catch { fail(error) }
    }
}
