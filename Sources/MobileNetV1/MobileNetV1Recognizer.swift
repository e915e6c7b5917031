import MobileNetIR

/// Matches a canonical graph (after `Pipeline.canonical`) against MobileNetV1.
///
/// The body is a 3x3 stride-2 convolution from 3 channels, then 13 depthwise-separable blocks (a
/// 3x3 depthwise convolution with strides 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, then a 1x1
/// pointwise convolution). The head, when present, is a global average pool (or a mean, or an
/// average pool over the whole map), a classifier (1x1 convolution or dense), and an optional
/// softmax; reshapes, squeezes, flattens and transposes between them are looked through.
public enum MobileNetV1Recognizer {
    public static let strides = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
    static let paperPointwise = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
    /// Ops that move data without computing: looked through between layers.
    static func isPlumbing(_ op: Op) -> Bool {
        switch op {
        case .reshape, .flatten, .squeeze, .unsqueeze, .transpose, .identity: true
        default: false
        }
    }

    public static func recognize(_ graph: Graph) -> Result<MobileNetV1Model, RecognitionFailure> {
        guard graph.inputs.count == 1, graph.outputs.count == 1 else {
            return .failure(.init(description: "expected one input and one output, found \(graph.inputs.count) and \(graph.outputs.count)"))
        }
        let consumers = graph.consumers()
        let input = graph.inputs[0]
        let shapes = try? graph.inferShapes(inputShapes: [input.name: input.shape.enumerated().map { axis, d in d ?? (axis == 0 ? 1 : 224) }])
        var layers: [MobileNetV1Model.Layer] = []
        var activations: Set<String> = []
        var value = graph.inputs[0].name

        /// The next computing node after `value`, looking through plumbing; nil at the graph's end.
        func next(_ from: String) -> (Int, Node)? {
            var current = from
            while true {
                guard let readers = consumers[current], readers.count == 1 else { return nil }
                let node = graph.nodes[readers[0]]
                if isPlumbing(node.op) { current = node.output; continue }
                return (readers[0], node)
            }
        }
        func describe(_ node: Node) -> String {
            guard case .conv2d(let c) = node.op, let w = graph.constants[node.inputs[1]] else { return "a \(node.op.name) ('\(node.name)')" }
            let kind = c.groups > 1 ? "depthwise conv" : "conv"
            return "a \(w.shape[2])x\(w.shape[3]) \(kind) with stride \(c.stride[0]) ('\(node.name)')"
        }
        func conv(_ expected: String, kernel: Int, stride: Int, depthwise: Bool, channels: Int?) -> Result<(Int, Node, Conv2D, Tensor), RecognitionFailure> {
            guard let (index, node) = next(value) else {
                return .failure(.init(description: "\(expected): expected a \(kernel)x\(kernel) \(depthwise ? "depthwise " : "")conv, found the end of the graph"))
            }
            guard case .conv2d(let c) = node.op, let w = graph.constants[node.inputs[1]],
                  w.shape[2] == kernel, w.shape[3] == kernel, c.stride == [stride, stride], c.dilation == [1, 1],
                  depthwise ? (c.groups > 1 && w.shape[1] == 1 && (channels.map { c.groups == $0 } ?? true)) : c.groups == 1 else {
                return .failure(.init(description: "\(expected): expected a \(kernel)x\(kernel) \(depthwise ? "depthwise " : "")conv with stride \(stride), found \(describe(node))"))
            }
            return .success((index, node, c, w))
        }
        func record(_ name: String, _ index: Int, _ node: Node, activation: Activation? = nil) {
            layers.append(.init(name: name, node: index, sourceName: node.name, output: node.output))
            if let activation { activations.insert("\(activation)") }
            value = node.output
        }

        // Stem.
        switch conv("conv1", kernel: 3, stride: 2, depthwise: false, channels: nil) {
        case .failure(let f): return .failure(f)
        case .success(let (index, node, c, w)):
            guard w.shape[1] == 3 else { return .failure(.init(description: "conv1: expected 3 input channels, found \(w.shape[1])")) }
            record("conv1", index, node, activation: c.activation)
        }
        var channels = graph.constants[graph.nodes[layers[0].node].inputs[1]]!.shape[0]
        var multiplier = 1
        for (i, stride) in strides.enumerated() {
            let block = i + 1
            switch conv("block \(block)", kernel: 3, stride: stride, depthwise: true, channels: channels) {
            case .failure(let f): return .failure(f)
            case .success(let (index, node, c, w)):
                multiplier = w.shape[0] / channels
                record("conv_dw_\(block)", index, node, activation: c.activation)
                channels = w.shape[0]
            }
            switch conv("block \(block)", kernel: 1, stride: 1, depthwise: false, channels: nil) {
            case .failure(let f): return .failure(f)
            case .success(let (index, node, c, w)):
                record("conv_pw_\(block)", index, node, activation: c.activation)
                channels = w.shape[0]
            }
        }
        let alpha = Double(channels) / 1024

        // Head: pool, classifier, softmax, each optional in that order.
        var classes: Int?
        if let (index, node) = next(value), isGlobalPool(node, shapes: shapes) {
            record("pool", index, node)
        }
        if let (index, node) = next(value) {
            switch node.op {
            case .conv2d(let c) where graph.constants[node.inputs[1]].map({ $0.shape[2] == 1 && $0.shape[3] == 1 && c.groups == 1 }) == true:
                classes = graph.constants[node.inputs[1]]!.shape[0]
                record("classifier", index, node)
            case .dense:
                classes = graph.constants[node.inputs[1]]?.shape[0]
                record("classifier", index, node)
            default:
                return .failure(.init(description: "head: expected a global pool, a classifier or the end, found \(describe(node))"))
            }
        }
        if let (index, node) = next(value) {
            guard case .softmax = node.op else {
                return .failure(.init(description: "head: expected a softmax or the end after the classifier, found \(describe(node))"))
            }
            record("softmax", index, node)
        }
        if let (_, node) = next(value) {
            return .failure(.init(description: "head: expected the end of the graph, found \(describe(node))"))
        }

        let side: Int? = input.shape.count == 4 ? input.shape[input.layout == .nhwc ? 1 : 2] : nil
        return .success(MobileNetV1Model(
            alpha: alpha, resolution: side, classes: classes,
            activation: activations.count == 1 ? activations.first! : "mixed", depthMultiplier: multiplier, layers: layers))
    }

    /// A global average pool, a mean over H and W, or an average pool whose window covers the
    /// whole map (TF-slim's 7x7 VALID AvgPool at 224), as far as the declared input shows.
    static func isGlobalPool(_ node: Node, shapes: [String: [Int]]?) -> Bool {
        switch node.op {
        case .globalAveragePool: true
        case .reduceMean(let axes, _): Set(axes) == [2, 3] || Set(axes) == [-2, -1]
        case .averagePool: shapes?[node.output].map { $0.count == 4 && $0[2] == 1 && $0[3] == 1 } ?? false
        default: false
        }
    }
}
