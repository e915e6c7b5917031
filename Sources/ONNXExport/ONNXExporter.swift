import MobileNetIR

/// Writes a graph as an ONNX model that deployed runtimes accept.
///
/// ```swift
/// let bytes = try ONNXExporter.serialize(graph, options: .init())   // opset 13, IR version 7
/// ```
///
/// The IR's layouts are ONNX's (`[N, C, H, W]`, conv weights `[O, I/groups, kH, kW]`), so weights
/// are written as they are. Padding is always explicit `pads` (TensorFlow's SAME resolved at the
/// declared input size), ReLU6 a `Clip` with its bounds as initializers, the batch a `dim_param`
/// `N`. The graph's one rank-4 input is `input`, `[N, 3, H, W]`, or `[N, H, W, 3]` followed by one
/// Transpose with `inputLayout: .nhwc`; a classifier's output computed by a softmax is
/// `probabilities`, without one `logits`; other outputs keep their names. The same graph and
/// options give the same bytes.
public enum ONNXExporter {
    public struct Options: Sendable {
        /// The default-domain opset (`supportedOpsets`); the IR version follows it.
        public var opset = 13
        /// How the written model takes its image input.
        public var inputLayout: TensorLayout = .nchw
        /// mnconvert's version, for `producer_version`.
        public var producerVersion = ""
        /// Canonical layer names by IR node name (`conv_dw_7`): the names of the nodes and of their
        /// weights (`conv_dw_7.weight`, `conv_dw_7.bias`).
        public var layerNames: [String: String] = [:]
        /// Written as `metadata_props`, sorted by key.
        public var metadata: [String: String] = [:]
        public var docString = ""
        public init() {}
    }

    public static let supportedOpsets = 11...21

    /// The IR version that goes with an opset (ONNX's versioning table): runtimes refuse IR
    /// versions newer than they know, so the oldest that carries the opset.
    public static func irVersion(opset: Int) -> Int {
        switch opset {
        case ...11: 6
        case 12...14: 7
        case 15...18: 8
        case 19...20: 9
        default: 10
        }
    }

    public static func serialize(_ graph: Graph, options: Options = .init()) throws(ONNXExportError) -> [UInt8] {
        guard supportedOpsets.contains(options.opset) else {
            throw .unsupported(node: "(model)", detail: "opset \(options.opset) is not one mnconvert writes (\(supportedOpsets.lowerBound) to \(supportedOpsets.upperBound))")
        }
        var writer = ONNXGraphWriter(graph: graph, options: options)
        return try writer.model().pack()
    }
}

/// The state of one export: the ONNX names of IR values, initializers written so far, nodes.
struct ONNXGraphWriter {
    let graph: Graph
    let options: Options
    typealias Options = ONNXExporter.Options
    typealias Message = ONNXModelMessage

    /// IR value name -> ONNX value name.
    var names: [String: String] = [:]
    var taken = NameTable()
    /// Scalar initializers by bit pattern, shared by every reader (Clip's bounds).
    var scalars: [UInt32: String] = [:]
    var nodes: [Message.Node] = []
    var initializers: [Message.Initializer] = []
    /// IR shapes at batch 1 and the declared input size.
    var shapes: [String: [Int]] = [:]

    init(graph: Graph, options: Options) {
        self.graph = graph
        self.options = options
    }

    var opset: Int { options.opset }

    mutating func model() throws(ONNXExportError) -> Message {
        var message = Message(irVersion: ONNXExporter.irVersion(opset: opset), opset: opset, producerName: "mnconvert",
                              producerVersion: options.producerVersion, docString: options.docString, graphName: "mobilenet")
        var inputShapes: [String: [Int]] = [:]
        for input in graph.inputs {
            let dims = input.shape.enumerated().map { axis, d in axis == 0 ? 1 : d }
            guard dims.allSatisfy({ $0 != nil }) else {
                throw .openInputSize("input '\(input.name)' leaves its size open (\(input.shape.map { $0.map(String.init) ?? "?" })); declare one with --resolution")
            }
            // The IR computes rank-4 inputs as NCHW whatever layout the caller feeds.
            let shape = dims.map { $0! }
            inputShapes[input.name] = input.layout == .nhwc && shape.count == 4 ? [shape[0], shape[3], shape[1], shape[2]] : shape
        }
        do { shapes = try graph.inferShapes(inputShapes: inputShapes) } catch {
            throw .unsupported(node: "(graph)", detail: "shapes cannot be inferred: \(error.description)")
        }

        for input in graph.inputs {
            let nchw = inputShapes[input.name]!
            let single = graph.inputs.count == 1 && nchw.count == 4
            let name = claim(single ? "input" : input.name)
            if single && options.inputLayout == .nhwc {
                message.inputs.append(.init(name: name, dims: [.param("N")] + [nchw[2], nchw[3], nchw[1]].map { .value($0) }))
                let transposed = claim("input_nchw")
                nodes.append(.init(name: "input_to_nchw", opType: "Transpose", inputs: [name], outputs: [transposed],
                                   attributes: [("perm", .ints([0, 3, 1, 2]))]))
                names[input.name] = transposed
            } else {
                message.inputs.append(.init(name: name, dims: [.param("N")] + nchw.dropFirst().map { .value($0) }))
                names[input.name] = name
            }
        }
        // A classifier's one output is named by what it is; a backbone's keep the source's names.
        let producers = graph.producers()
        let classifier = options.layerNames.values.contains("classifier")
        for output in graph.outputs {
            guard graph.outputs.count == 1, let index = producers[output] else { continue }
            if case .softmax = graph.nodes[index].op { names[output] = claim("probabilities") } else if classifier { names[output] = claim("logits") }
        }
        for node in graph.nodes { try emit(node) }
        for output in graph.outputs {
            let shape = shapes[output] ?? []
            message.outputs.append(.init(name: try value(output), dims: shape.enumerated().map { $0 == 0 ? .param("N") : .value($1) }))
        }
        message.nodes = nodes
        message.initializers = initializers
        message.metadata = options.metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return message
    }

    // MARK: Names and values

    /// `base`, or `base_1`, `base_2`...: a name no other value has.
    mutating func claim(_ base: String) -> String { taken.claim(base) }

    /// The ONNX name of an IR value: a node output, an input, or a constant (written as an
    /// initializer on first use, named `preferred` when given).
    mutating func value(_ name: String, preferred: String? = nil, shape: [Int]? = nil) throws(ONNXExportError) -> String {
        if let known = names[name] { return known }
        if let constant = graph.constants[name] {
            let onnxName = claim(preferred ?? name)
            initializers.append(.init(name: onnxName, dims: shape ?? constant.shape, floats: constant.data))
            names[name] = onnxName
            return onnxName
        }
        let onnxName = claim(name)
        names[name] = onnxName
        return onnxName
    }

    /// An int64 initializer (shapes, pads, axes, clip bounds are float: see `floatScalar`).
    mutating func ints(_ base: String, _ values: [Int]) -> String {
        let name = claim(base)
        initializers.append(.init(name: name, dims: [values.count], ints: values.map { Int64($0) }))
        return name
    }

    /// A float scalar initializer, shared by every reader of the same value (Clip's bounds).
    mutating func floatScalar(_ base: String, _ value: Float) -> String {
        if let known = scalars[value.bitPattern] { return known }
        let name = claim(base)
        initializers.append(.init(name: name, dims: [], floats: [value]))
        scalars[value.bitPattern] = name
        return name
    }

    func displayName(_ node: Node) -> String { options.layerNames[node.name] ?? node.name }
}
