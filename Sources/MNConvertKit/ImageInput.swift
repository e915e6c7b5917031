import MobileNetIR
import MobileNetV1
import TensorIO
import Verification

/// Pictures as model inputs (`run --image`, `verify --image`) and the best classes of an output.
public enum ImageInput {
    /// The preprocessing a model's source tells, when the model does not record one: Keras files
    /// holding a keras.applications MobileNet scale the keras way, TensorFlow graphs of a
    /// 1001-class MobileNetV1 are TF-slim's.
    public static func knownPreprocessing(of graph: Graph) -> Preprocessing? {
        if let recorded = graph.metadata.preprocessing { return recorded }
        guard case .success(let model) = MobileNetV1Recognizer.recognize(graph) else { return nil }
        return knownPreprocessing(of: graph, recognized: model)
    }

    /// The same for a graph already recognised as `model`.
    static func knownPreprocessing(of graph: Graph, recognized model: MobileNetV1Model) -> Preprocessing? {
        if let recorded = graph.metadata.preprocessing { return recorded }
        switch graph.metadata.sourceFormat {
        case "keras": return .keras
        // TF-slim's releases, frozen or as TFLite: 1001 classes, "background" first.
        case "tensorflow" where model.classes == 1001, "tflite" where model.classes == 1001: return .tfSlim
        default: return nil
        }
    }

    /// `path` decoded and preprocessed as the first input of `runner`'s model expects it, in the
    /// model's default layout, with `preprocessing` (the user's, else the model's).
    static func tensor(_ path: String, for runner: ModelRunner, modelPath: String, preprocessing: Preprocessing?,
                       resolution: Int?) throws(MNConvertError) -> (tensor: Tensor, preprocessing: Preprocessing) {
        guard let p = preprocessing else {
            throw .input(path: modelPath, message: "does not say how its input images are scaled; give --preprocess keras|tf-slim|torch|caffe|none (or --scale, --mean, --std, --bgr)")
        }
        guard runner.graph.inputs.count == 1, runner.graph.inputs[0].shape.count == 4 else {
            throw .input(path: modelPath, message: "takes no single image input (it has \(runner.graph.inputs.count) inputs); feed it tensors with --input")
        }
        let layout = runner.defaultLayout ?? .nchw
        let shape = runner.inputShape(0, batch: 1, layout: .nchw, fallbackSide: resolution ?? 224)
        guard shape[1] == 3 else { throw .input(path: modelPath, message: "expects \(shape[1]) input channels, not the 3 of an RGB image") }
        guard shape[2] == shape[3] else { throw .input(path: modelPath, message: "expects a \(shape[2]) x \(shape[3]) input; --image makes square ones") }
        let image: Image
        do { image = try Image.read(path) } catch { throw .input(path: path, message: error.reason) }
        return (image.tensor(side: shape[2], preprocessing: p, layout: layout), p)
    }

    /// The `k` highest scores of the first sample of `output` (over its last axis), best first,
    /// with their labels: `labels` when given, ImageNet's names for 1000 or 1001 (TF-slim,
    /// "background" first) classes, else none.
    public static func top(_ k: Int, of output: Tensor, labels: [String]? = nil) -> [(index: Int, score: Float, label: String?)] {
        let classes = output.shape.last ?? output.count
        let scores = Array(output.data.prefix(classes))
        let names = labels ?? (classes == 1000 ? ImageNetLabels.names : classes == 1001 ? ["background"] + ImageNetLabels.names : nil)
        return ranking(scores).prefix(k).map { i in (i, scores[i], names.flatMap { i < $0.count ? $0[i] : nil }) }
    }
}

/// Class names for `run --top`, one a line.
public enum Labels {
    public static func read(_ path: String) throws(MNConvertError) -> [String] {
        let bytes: [UInt8]
        do { bytes = try MappedFile.contents(of: path) } catch { throw .input(path: path, message: error.reason) }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.hasSuffix("\r") ? $0.dropLast() : $0)
        }
        let names = lines.last == "" ? Array(lines.dropLast()) : lines
        guard !names.isEmpty else { throw .input(path: path, message: "holds no labels; write one class name a line") }
        return names
    }
}
