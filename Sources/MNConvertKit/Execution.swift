import InferenceCore
import MobileNetIR
import TensorIO
import Verification

/// `mnconvert run` and `mnconvert verify`.
public enum Execution {
    /// Runs the model in `modelPath` (any format, canonicalised as `convert` would) on the tensor
    /// in `inputPath`, given in `layout` (default: the layout of the source model's users), and
    /// writes its first output to `outputPath`.
    public static func run(model modelPath: String, input inputPath: String, output outputPath: String,
                           layout: TensorLayout?, selection: ImportOptions = .init(), threads: Int? = nil) throws(MNConvertError) -> Tensor {
        let runner = try runner(for: modelPath, selection: selection, threads: threads)
        let input = try readTensor(inputPath)
        let output = try run(runner, on: input, layout: layout, modelPath: modelPath, inputPath: inputPath)
        do { try TensorFile.write(output, to: outputPath, name: runner.graph.outputs[0]) } catch {
            throw .output(path: outputPath, message: error.reason)
        }
        return output
    }

    /// `verify A B`: both models on the same seeded inputs.
    public static func verify(reference: String, candidate: String, samples: Int, seed: UInt64, tolerance: Double,
                              selection: ImportOptions = .init(), threads: Int? = nil) throws(MNConvertError) -> VerificationReport {
        let a = try runner(for: reference, selection: selection, strict: false, threads: threads)
        let b = try runner(for: candidate, selection: selection, strict: false, threads: threads)
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
        do {
            return try Comparison.compare(reference: a, candidate: b, referenceName: reference, candidateName: candidate,
                                          samples: samples, seed: seed, tolerance: tolerance)
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

    /// A runner for the canonicalised graph of any model file.
    static func runner(for path: String, selection: ImportOptions, strict: Bool = true, threads: Int? = nil) throws(MNConvertError) -> ModelRunner {
        let graph = try ModelLoader.load(path, options: selection, strict: strict).canonicalGraph
        do { return try ModelRunner(graph: consume graph, threads: threads) } catch { throw .input(path: path, message: error.description) }
    }

    static func run(_ runner: ModelRunner, on input: Tensor, layout: TensorLayout?, modelPath: String, inputPath: String) throws(MNConvertError) -> Tensor {
        guard runner.graph.inputs.count == 1 else {
            throw .input(path: modelPath, message: "has \(runner.graph.inputs.count) inputs; run and verify --input feed models with one")
        }
        do { return try runner.run([input], layout: layout).outputs[0] } catch {
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
