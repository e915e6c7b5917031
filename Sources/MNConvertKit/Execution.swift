import InferenceCore
import MobileNetIR
import TensorIO
import Verification

/// `mnconvert run` and `mnconvert verify`.
public enum Execution {
    /// Runs the model in `modelPath` (any format, canonicalised as `convert` would) on the tensor
    /// in `inputPath`, given in `layout` (default: the layout of the source model's users), and
    /// writes its output to `outputPath`: `.npy` or `.pb` for a model with one output, `.npz`
    /// (every output, keyed by its name) for any. Returns each output with its name.
    public static func run(model modelPath: String, input inputPath: String, output outputPath: String,
                           layout: TensorLayout?, selection: ImportOptions = .init(),
                           threads: Int? = nil) throws(MNConvertError) -> [(name: String, tensor: Tensor)] {
        let runner = try runner(for: modelPath, selection: selection, threads: threads)
        let archive = outputPath.lowercased().hasSuffix(".npz")
        guard archive || runner.graph.outputs.count == 1 else {
            throw .usage("\(modelPath) has \(runner.graph.outputs.count) outputs (\(runner.graph.outputs.joined(separator: ", "))); write them to an .npz file, or choose one with --output-node")
        }
        let input = try readTensor(inputPath)
        let outputs = try runAll(runner, on: input, layout: layout, modelPath: modelPath, inputPath: inputPath)
        let named = zip(runner.graph.outputs, outputs).map { (name: $0, tensor: $1) }
        if archive {
            do { try TensorFile.write(named, toArchive: outputPath) } catch { throw .output(path: outputPath, message: error.reason) }
        } else {
            try writeTensor(outputs[0], to: outputPath, name: runner.graph.outputs[0])
        }
        return named
    }

    /// What `run --image` computed: the model's output, the input it was fed (in the model's
    /// default layout) and the preprocessing that made it.
    public struct ImageRun: Sendable {
        public var output: Tensor
        public var input: Tensor
        public var preprocessing: Preprocessing
    }

    /// Runs the model in `modelPath` on the picture at `imagePath` (JPEG or PNG), preprocessed as
    /// the model records or its source tells, or as `preprocessing` says; writes the output to
    /// `outputPath` and the fed tensor to `inputPath` when given.
    public static func run(model modelPath: String, image imagePath: String, preprocessing: Preprocessing?, output outputPath: String?,
                           saveInput inputPath: String?, selection: ImportOptions = .init(), threads: Int? = nil) throws(MNConvertError) -> ImageRun {
        let (runner, known) = try runnerAndPreprocessing(for: modelPath, selection: selection, threads: threads)
        let (input, used) = try ImageInput.tensor(imagePath, for: runner, modelPath: modelPath, preprocessing: preprocessing ?? known,
                                                  resolution: selection.resolution)
        let output = try run(runner, on: input, layout: runner.defaultLayout, modelPath: modelPath, inputPath: imagePath)
        if let outputPath { try writeTensor(output, to: outputPath, name: runner.graph.outputs[0]) }
        if let inputPath { try writeTensor(input, to: inputPath, name: runner.graph.inputs[0].name) }
        return ImageRun(output: output, input: input, preprocessing: used)
    }

    /// `verify A B`: both models on the same seeded inputs, or on the picture at `image`,
    /// preprocessed as model A records or its source tells (or as `preprocessing` says).
    public static func verify(reference: String, candidate: String, samples: Int, seed: UInt64, tolerance: Double,
                              selection: ImportOptions = .init(), threads: Int? = nil,
                              image: String? = nil, preprocessing: Preprocessing? = nil) throws(MNConvertError) -> VerificationReport {
        // Two files of one model hold mostly equal weights: each is packed once.
        let sharing = WeightSharing()
        let (a, known) = try runnerAndPreprocessing(for: reference, selection: selection, strict: false, threads: threads, sharing: sharing)
        let b = try runner(for: candidate, selection: selection, strict: false, threads: threads, sharing: sharing)
        let formats = [a.graph.metadata.sourceFormat, b.graph.metadata.sourceFormat]
        if selection.selectsNodes, !formats.contains("tensorflow") {
            throw .input(path: reference, message: "--input-node and --output-node choose nodes of TensorFlow graphs; neither model is one")
        }
        if selection.describesKeras, !formats.contains("keras") {
            throw .input(path: reference, message: "--classifier-activation describes Keras weights-only files; neither model is one")
        }
        guard a.graph.inputs.count == b.graph.inputs.count, a.graph.outputs.count == b.graph.outputs.count else {
            throw .input(path: candidate, message: "has \(b.graph.inputs.count) inputs and \(b.graph.outputs.count) outputs, \(reference) has \(a.graph.inputs.count) and \(a.graph.outputs.count)")
        }
        var given: [Tensor]?
        if let image {
            given = [try ImageInput.tensor(image, for: a, modelPath: reference, preprocessing: preprocessing ?? known, resolution: selection.resolution).tensor]
        }
        do {
            return try Comparison.compare(reference: a, candidate: b, referenceName: reference, candidateName: candidate,
                                          samples: given == nil ? samples : 1, seed: seed, tolerance: tolerance, given: given)
        } catch {
            throw .input(path: candidate, message: "cannot run on the inputs of \(reference): \(error.description)")
        }
    }

    /// `verify MODEL --input X --expected Y`: the core's output against reference outputs.
    public static func verify(model modelPath: String, input inputPath: String, expected expectedPath: String,
                              layout: TensorLayout?, tolerance: Double, selection: ImportOptions = .init(),
                              threads: Int? = nil) throws(MNConvertError) -> VerificationReport {
        let runner = try runner(for: modelPath, selection: selection, threads: threads)
        let input = try readTensor(inputPath)
        let expected = try readTensor(expectedPath)
        let output = try run(runner, on: input, layout: layout, modelPath: modelPath, inputPath: inputPath)
        guard output.count == expected.count else {
            throw .input(path: expectedPath, message: "holds shape \(expected.shape), the model's output has shape \(output.shape)")
        }
        return Comparison.report(expected: [expected], got: [output], names: [runner.graph.outputs[0]],
                                 referenceName: expectedPath, candidateName: modelPath,
                                 samples: expected.rank == 0 ? 1 : expected.shape[0], seed: nil, tolerance: tolerance)
    }

    static func readTensor(_ path: String) throws(MNConvertError) -> Tensor {
        do { return try TensorFile.read(path) } catch { throw .input(path: path, message: error.reason) }
    }

    static func writeTensor(_ tensor: Tensor, to path: String, name: String) throws(MNConvertError) {
        do { try TensorFile.write(tensor, to: path, name: name) } catch { throw .output(path: path, message: error.reason) }
    }

    /// A runner for the canonicalised graph of any model file.
    static func runner(for path: String, selection: ImportOptions, strict: Bool = true, threads: Int? = nil,
                       sharing: WeightSharing? = nil) throws(MNConvertError) -> ModelRunner {
        try runnerAndPreprocessing(for: path, selection: selection, strict: strict, threads: threads, sharing: sharing).runner
    }

    /// A runner, and the image preprocessing the model records or its source tells (found
    /// before the engine packs the weights the recogniser reads).
    static func runnerAndPreprocessing(for path: String, selection: ImportOptions, strict: Bool = true, threads: Int? = nil,
                                       sharing: WeightSharing? = nil) throws(MNConvertError) -> (runner: ModelRunner, preprocessing: Preprocessing?) {
        let graph = try ModelLoader.load(path, options: selection, strict: strict).canonicalGraph
        let preprocessing = ImageInput.knownPreprocessing(of: graph)
        do { return (try ModelRunner(graph: consume graph, threads: threads, sharing: sharing), preprocessing) } catch { throw .input(path: path, message: error.description) }
    }

    static func run(_ runner: ModelRunner, on input: Tensor, layout: TensorLayout?, modelPath: String, inputPath: String) throws(MNConvertError) -> Tensor {
        try runAll(runner, on: input, layout: layout, modelPath: modelPath, inputPath: inputPath)[0]
    }

    /// Every output of the model, in `graph.outputs` order.
    static func runAll(_ runner: ModelRunner, on input: Tensor, layout: TensorLayout?, modelPath: String, inputPath: String) throws(MNConvertError) -> [Tensor] {
        guard runner.graph.inputs.count == 1 else {
            throw .input(path: modelPath, message: "has \(runner.graph.inputs.count) inputs; run and verify --input feed models with one")
        }
        do { return try runner.run([input], layout: layout).outputs } catch {
            var hint = ""
            if case .inputShapeInLayout(_, let given, let expected, let got) = error {
                // Hint at the other layout only when the tensor has its shape.
                let other: TensorLayout = given == .nchw ? .nhwc : .nchw
                if got.count == 4, zip(given.rearrange(expected, to: other), got).allSatisfy({ $0 == nil || $0 == $1 }) {
                    hint = "; if it is \(other), pass --layout \(other)"
                }
            }
            throw .input(path: inputPath, message: "cannot be fed to \(modelPath): \(error.description)\(hint)")
        }
    }
}
