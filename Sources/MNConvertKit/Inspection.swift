import InferenceCore
import MobileNetIR
import MobileNetV1
import Verification

/// `mnconvert info` and `mnconvert verify A B --per-layer`: the MobileNetV1 view of a model.
public enum Inspection {
    /// The paper's costs of the MobileNetV1 in `path`, at `resolution` or the model's own.
    public static func info(_ path: String, resolution: Int?, options: ImportOptions = .init()) throws(MNConvertError) -> CostReport {
        let (graph, model) = try recognized(path, options: options)
        guard let side = resolution ?? model.resolution else {
            throw .input(path: path, message: "the model leaves its input resolution open; give one with --resolution")
        }
        do { return try CostReport(model: model, graph: graph, resolution: side) } catch {
            throw .input(path: path, message: "cannot be shaped at resolution \(side): \(error.description)")
        }
    }

    /// Both models on the same inputs, every canonical layer compared; the first layer beyond the
    /// tolerance is the first divergence.
    public static func perLayer(reference: String, candidate: String, samples: Int, seed: UInt64, tolerance: Double,
                                options: ImportOptions = .init(), threads: Int? = nil) throws(MNConvertError) -> PerLayerReport {
        let (a, modelA) = try recognized(reference, options: options, strict: false)
        let (b, modelB) = try recognized(candidate, options: options, strict: false)
        let layers = modelA.allLayers.compactMap { layer in
            modelB.layer(layer.name).map { (name: layer.name, reference: layer.output, candidate: $0.output) }
        }
        let sharing = WeightSharing()
        do {
            return try Comparison.comparePerLayer(reference: try ModelRunner(graph: a, threads: threads, sharing: sharing),
                                                  candidate: try ModelRunner(graph: b, threads: threads, sharing: sharing), layers: layers,
                                                  referenceName: reference, candidateName: candidate,
                                                  samples: samples, seed: seed, tolerance: tolerance)
        } catch {
            throw .input(path: candidate, message: "cannot run on the inputs of \(reference): \(error.description)")
        }
    }

    /// The canonical graph of any model file and the MobileNetV1 recognised in it.
    static func recognized(_ path: String, options: ImportOptions, strict: Bool = true) throws(MNConvertError) -> (Graph, MobileNetV1Model) {
        let graph = try ModelLoader.load(path, options: options, strict: strict).canonicalGraph
        switch MobileNetV1Recognizer.recognize(graph) {
        case .success(let model): return (graph, model)
        case .failure(let failure): throw .input(path: path, message: "not a MobileNetV1: \(failure.description)")
        }
    }
}
