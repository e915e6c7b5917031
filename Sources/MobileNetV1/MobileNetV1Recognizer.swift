import MobileNetIR

/// Matches a canonical graph (after `Pipeline.canonical`) against MobileNetV1.
///
/// The body is a 3x3 stride-2 convolution from 3 channels, then 13 depthwise-separable blocks (a
/// 3x3 depthwise convolution with strides 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, then a 1x1
/// pointwise convolution). The head, when present, is a global average pool (or a mean, or an
/// average pool over the whole map), a classifier (1x1 convolution or dense), and an optional
/// softmax; reshapes, squeezes, flattens and transposes between them are looked through. A layer
/// whose output has several readers (a detector taps `conv_pw_11`) continues the body through the
/// reader that matches; every other computing node is the head (`head_1`, ...), and the graph may
/// have several outputs.
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
        guard graph.inputs.count == 1, !graph.outputs.isEmpty else {
            return .failure(.init(description: "expected one input and at least one output, found \(graph.inputs.count) and \(graph.outputs.count)"))
        }
        let consumers = graph.consumers()
        let input = graph.inputs[0]
        let shapes = try? graph.inferShapes(inputShapes: [input.name: input.shape.enumerated().map { axis, d in d ?? (axis == 0 ? 1 : 224) }])
        var layers: [MobileNetV1Model.Layer] = []
        var activations: Set<String> = []
        var value = graph.inputs[0].name

        /// The computing nodes that read `from`, looking through plumbing, in graph order.
        func successors(_ from: String) -> [(Int, Node)] {
            var found: [(Int, Node)] = [], pending = [from], seen: Set<String> = []
            while let current = pending.popLast() {
                guard seen.insert(current).inserted else { continue }
                for reader in consumers[current] ?? [] {
                    let node = graph.nodes[reader]
                    if isPlumbing(node.op) { pending.append(node.output) } else { found.append((reader, node)) }
                }
            }
            return found.sorted { $0.0 < $1.0 }
        }
        /// The one computing node after `from`; nil at the graph's end or where it branches.
        func next(_ from: String) -> (Int, Node)? {
            let all = successors(from)
            return all.count == 1 ? all[0] : nil
        }
        func describe(_ node: Node) -> String {
            guard case .conv2d(let c) = node.op, let w = graph.constants[node.inputs[1]] else { return "a \(node.op.name) ('\(node.name)')" }
            let kind = c.groups > 1 ? "depthwise conv" : "conv"
            return "a \(w.shape[2])x\(w.shape[3]) \(kind) with stride \(c.stride[0]) ('\(node.name)')"
        }
        func conv(_ expected: String, kernel: Int, stride: Int, depthwise: Bool, channels: Int?) -> Result<(Int, Node, Conv2D, Tensor), RecognitionFailure> {
            let candidates = successors(value)
            guard let first = candidates.first else {
                return .failure(.init(description: "\(expected): expected a \(kernel)x\(kernel) \(depthwise ? "depthwise " : "")conv, found the end of the graph"))
            }
            for (index, node) in candidates {
                if case .conv2d(let c) = node.op, let w = graph.constants[node.inputs[1]],
                   w.shape[2] == kernel, w.shape[3] == kernel, c.stride == [stride, stride], c.dilation == [1, 1],
                   depthwise ? (c.groups > 1 && w.shape[1] == 1 && (channels.map { c.groups == $0 } ?? true)) : c.groups == 1 {
                    return .success((index, node, c, w))
                }
            }
            return .failure(.init(description: "\(expected): expected a \(kernel)x\(kernel) \(depthwise ? "depthwise " : "")conv with stride \(stride), found \(describe(first.1))"))
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

        // The top: pool, classifier, softmax, each optional in that order, while the graph does
        // not branch.
        var classes: Int?
        if let (index, node) = next(value), isGlobalPool(node, shapes: shapes) {
            record("pool", index, node)
        }
        if let (index, node) = next(value) {
            switch node.op {
            case .conv2d(let c) where graph.constants[node.inputs[1]].map({ $0.shape[2] == 1 && $0.shape[3] == 1 && c.groups == 1 }) == true:
                classes = graph.constants[node.inputs[1]]!.shape[0]
                record("classifier", index, node)
            case .dense where graph.constants[node.inputs[1]] != nil:
                classes = graph.constants[node.inputs[1]]!.shape[0]
                record("classifier", index, node)
            default:
                break
            }
        }
        if classes != nil, let (index, node) = next(value), case .softmax = node.op {
            record("softmax", index, node)
        }
        // A 1x1-convolution classifier is MobileNetV1's own top, kept when a head reads it (a
        // TF-slim model retrained on its logits); a dense one is the top only when nothing but its
        // softmax follows (else it is the first layer of a transfer-learning head).
        if let last = layers.lastIndex(where: { $0.name == "classifier" }), case .dense = graph.nodes[layers[last].node].op,
           !successors(value).isEmpty {
            layers.removeSubrange(last...)
            value = layers.last!.output
            classes = nil
        }

        // The head: every other computing node, in graph order.
        let claimed = Set(layers.map(\.node))
        var head: [MobileNetV1Model.Layer] = []
        for (index, node) in graph.nodes.enumerated() where !claimed.contains(index) && !isPlumbing(node.op) {
            head.append(.init(name: "head_\(head.count + 1)", node: index, sourceName: node.name, output: node.output))
        }
        // Which of the body's and top's layers each output is computed from (the deepest).
        let producers = graph.producers()
        let layerOf = Dictionary(layers.map { ($0.output, $0.name) }, uniquingKeysWith: { a, _ in a })
        let order = Dictionary(layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var outputs: [MobileNetV1Model.Output] = []
        for output in graph.outputs {
            var deepest: String?, pending = [output], seen: Set<String> = []
            while let current = pending.popLast() {
                guard seen.insert(current).inserted else { continue }
                if let name = layerOf[current] {
                    if deepest.map({ order[name]! > order[$0]! }) ?? true { deepest = name }
                    continue
                }
                if let producer = producers[current] { pending += graph.nodes[producer].inputs }
            }
            outputs.append(.init(name: output, from: deepest ?? "input"))
        }

        let side: Int? = input.shape.count == 4 ? input.shape[input.layout == .nhwc ? 1 : 2] : nil
        return .success(MobileNetV1Model(
            alpha: alpha, resolution: side, classes: classes,
            activation: activations.count == 1 ? activations.first! : "mixed", depthMultiplier: multiplier, layers: layers,
            head: head, outputs: outputs))
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
