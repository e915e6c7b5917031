import Foundation
import HDF5
import MobileNetIR

/// Reads Keras models and weights into the IR, in all four forms:
///
/// | form | what mnconvert reads |
/// |---|---|
/// | legacy `.h5` full model (Keras 2, Keras 3) | `model_config` JSON, weights by `layer_names` / `weight_names` under `model_weights` |
/// | legacy weights-only `.h5` (`save_weights`) | weights by layer name, mapped onto keras.applications' MobileNet |
/// | Keras 3 `.weights.h5` | `layers/<class>_<n>/vars/<i>`, mapped onto MobileNet by class and order |
/// | Keras 3 `.keras` | `config.json` and `model.weights.h5` from the zip |
///
/// Weights-only files carry no configuration: the width, the depth multiplier, whether the top is
/// included and the class count are read from the kernels' shapes, and every layer's shape is
/// checked against MobileNet's (`layer conv_dw_7: kernel has shape ..., expected ...`).
public enum KerasImporter {
    /// The classifier's activation for weights-only files with a top, which do not record it.
    public enum ClassifierActivation: String, Sendable, CaseIterable {
        /// Probabilities, as keras.applications writes the model.
        case softmax
        /// Logits.
        case linear
    }

    public struct Options: Sendable {
        /// The input side for files that do not fix it (weights-only files: default 224); also
        /// overrides the side of full models when given.
        public var resolution: Int?
        /// The classifier's activation for weights-only files with a top.
        public var classifierActivation: ClassifierActivation

        public init(resolution: Int? = nil, classifierActivation: ClassifierActivation = .softmax) {
            self.resolution = resolution
            self.classifierActivation = classifierActivation
        }
    }

    public static func importModel(at path: String, options: Options = .init()) throws(KerasImportError) -> Graph {
        if isZip(path) {
            let archive = try KerasArchive.open(path)
            defer { try? FileManager.default.removeItem(atPath: archive.weightsPath) }
            let config = try KerasModelConfig.parse(archive.config)
            let weights = KerasWeights(file: try open(archive.weightsPath), layout: .keras3)
            return try build(config, weights: weights, options: options, form: "keras")
        }
        let file = try open(path)
        if try has("model_config", file) {
            let json: String
            do { json = try file.stringAttribute("model_config") } catch { throw .unreadable("the model_config attribute cannot be read") }
            let version = (try? file.stringAttribute("keras_version")).map { " \($0)" } ?? ""
            return try build(try KerasModelConfig.parse(json), weights: KerasWeights(file: file, layout: .legacy(root: "model_weights")),
                             options: options, form: "keras\(version)")
        }
        if try has("layer_names", file) {
            let weights = KerasWeights(file: file, layout: .legacy(root: ""))
            return try build(try weightsOnlyTopology(weights, options: options), weights: weights, options: options, form: "keras weights")
        }
        if file.exists("layers") {
            let weights = KerasWeights(file: file, layout: .keras3)
            return try build(try weightsOnlyTopology(weights, options: options), weights: weights, options: options, form: "keras weights")
        }
        throw .notKeras("an HDF5 file with neither model_config, layer_names nor a layers group")
    }

    private static func build(_ config: KerasModelConfig, weights: KerasWeights, options: Options, form: String) throws(KerasImportError) -> Graph {
        var builder = KerasGraphBuilder(resolution: options.resolution)
        var classCounts: [String: Int] = [:]
        for layer in config.layers {
            // Keras 3 numbers a class's layers within each model, nested ones apart.
            let key = layer.keras3Prefix + layer.className
            let index = classCounts[key, default: 0]
            classCounts[key] = index + 1
            try builder.convert(layer, weights: try weights.weights(of: layer, classIndex: index))
        }
        return try builder.finish(outputs: config.outputs, producer: form)
    }

    /// MobileNet's layers with the channel counts, depth multiplier and classes the file's kernels have.
    private static func weightsOnlyTopology(_ weights: KerasWeights, options: Options) throws(KerasImportError) -> KerasModelConfig {
        func kernel(_ name: String, _ className: String, _ classIndex: Int) throws(KerasImportError) -> Tensor? {
            try weights.weights(of: KerasLayer(name: name, className: className, config: [:], inbound: []), classIndex: classIndex).first
        }
        guard let stem = try kernel("conv1", "Conv2D", 0), stem.rank == 4, stem.shape[0] == 3, stem.shape[1] == 3, stem.shape[2] == 3 else {
            // Weights of a model with MobileNet nested in it (a transfer-learning model) say
            // nothing of the layers around it.
            if weights.file.exists("layers/functional") || weights.file.exists("layers/sequential") {
                throw .notMobileNet("these are the weights of a model with another model nested in it, and weights alone do not say what its other layers are; convert the .keras file (or the full .h5 from model.save) instead")
            }
            throw .notMobileNet("no 3x3 convolution of 3 input channels named conv1 (or first Conv2D)")
        }
        guard let firstDepthwise = try kernel("conv_dw_1", "DepthwiseConv2D", 0), firstDepthwise.rank == 4 else {
            throw .notMobileNet("no depthwise convolution conv_dw_1 (or first DepthwiseConv2D)")
        }
        var pointwise: [Int] = []
        for i in 1...13 {
            guard let k = try kernel("conv_pw_\(i)", "Conv2D", i), k.rank == 4 else {
                throw .notMobileNet("no pointwise convolution conv_pw_\(i)")
            }
            pointwise.append(k.shape[3])
        }
        let classes = try kernel("conv_preds", "Conv2D", 14).map { $0.shape.last ?? 0 }
        let topology = MobileNetTopology(stem: stem.shape[3], pointwise: pointwise, depthMultiplier: firstDepthwise.shape[3],
                                         classes: classes, resolution: options.resolution ?? 224,
                                         classifierActivation: options.classifierActivation)
        let layers = topology.layers
        return KerasModelConfig(layers: layers, inputs: [layers[0].name], outputs: [layers[layers.count - 1].name])
    }

    private static func open(_ path: String) throws(KerasImportError) -> HDF5File {
        do { return try HDF5File(path: path) } catch {
            if case .libraryMissing = error { throw .missingLibrary(error.description) }
            throw .unreadable("the HDF5 container cannot be opened")
        }
    }

    private static func has(_ attribute: String, _ file: HDF5File) throws(KerasImportError) -> Bool {
        do { return try file.hasAttribute(attribute) } catch { throw .unreadable("the HDF5 root cannot be read") }
    }

    private static func isZip(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return handle.readData(ofLength: 4) == Data([0x50, 0x4B, 0x03, 0x04])
    }
}

/// The state of one Keras import.
struct KerasGraphBuilder {
    let resolution: Int?
    var values: [String: KerasValue] = [:]
    var irNodes: [Node] = []
    var constants: [String: Tensor] = [:]
    var graphInputs: [GraphInput] = []
    private var names = NameTable()

    init(resolution: Int?) { self.resolution = resolution }

    mutating func finish(outputs: [String], producer: String) throws(KerasImportError) -> Graph {
        var outputNames: [String] = []
        for output in outputs {
            guard let value = values[output] else { throw .invalidConfig("output layer '\(output)' is not computed") }
            // Returned in Keras's layout, under the layer's name.
            if value.permuted {
                irNodes.append(Node(name: output, op: .transpose(perm: [0, 2, 3, 1]), inputs: [value.name], outputs: [reserve("\(output):0")]))
                outputNames.append(irNodes.last!.output)
            } else {
                outputNames.append(value.name)
            }
        }
        let graph = Graph(inputs: graphInputs, outputs: outputNames, nodes: irNodes, constants: constants,
                          metadata: Metadata(sourceFormat: "keras", producer: producer, sourceInputLayout: graphInputs.first?.layout ?? nil))
            .removingUnusedConstants()
        do { try graph.validate() } catch { throw .invalidConfig(error.description) }
        return graph
    }

    mutating func reserve(_ base: String) -> String { names.claim(base) }

    mutating func emit(_ layer: String, _ op: Op, _ inputs: [String], suffix: String? = nil) -> String {
        let name = suffix.map { "\(layer)/\($0)" } ?? layer
        let output = reserve(name)
        irNodes.append(Node(name: name, op: op, inputs: inputs, outputs: [output]))
        return output
    }

    mutating func addWeight(_ tensor: Tensor, layer: KerasLayer, role: String) throws(KerasImportError) -> String {
        if let index = tensor.firstNonFiniteIndex { throw .nonFiniteWeight(layer: layer.name, index: index) }
        let name = reserve("\(layer.name)/\(role)")
        constants[name] = tensor
        return name
    }

    /// The value as NCHW (a channels-last rank-4 value is held that way already).
    mutating func nchw(_ value: KerasValue, for layer: String) -> String {
        value.permuted ? value.name : emit(layer, .transpose(perm: [0, 3, 1, 2]), [value.name], suffix: "to_nchw")
    }

    /// The value in Keras's channels-last layout (what Reshape, Flatten and Dense see).
    mutating func channelsLast(_ value: KerasValue, for layer: String) -> String {
        value.permuted ? emit(layer, .transpose(perm: [0, 2, 3, 1]), [value.name], suffix: "to_nhwc") : value.name
    }
}
