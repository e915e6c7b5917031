import Foundation
import MobileNetIR
import TensorIO

/// The paper's cost model (Howard et al. 2017, section 3): mult-adds of the convolutions and the
/// classifier at batch 1, each layer's kernel mult-adds times its output positions; parameters of
/// their weights plus the classifier's bias (counted even where an exporter dropped an all-zero
/// bias). BatchNorm has no parameters here (it is folded); the biases folding leaves behind are
/// counted separately, as stored parameters.
///
/// The paper's table scales the 224 count by `(resolution / 224)^2` for its other resolutions
/// (the resolution multiplier's rho squared); `paperMultAdds` is that figure, `multAdds` the exact
/// count at this resolution.
public struct CostReport: Sendable, Encodable {
    public struct Layer: Sendable, Encodable {
        public var name: String
        public var sourceName: String
        /// `conv`, `depthwise conv`, `pointwise conv`, `global pool`, `classifier`, `softmax`.
        public var op: String
        /// `[H, W, C]` in and out.
        public var input: [Int]
        public var output: [Int]
        public var kernel: [Int]?
        public var stride: Int?
        public var params: Int
        public var multAdds: Int
        /// For a depthwise-separable block (on its pointwise layer): the mult-adds of the standard
        /// convolution it replaces, `DK * DK * M * N * DF * DF`, and the ratio of the block's cost to it.
        public var standardMultAdds: Int?
        public var ratio: Double?

        enum CodingKeys: String, CodingKey {
            case name, sourceName = "source_name", op, input, output, kernel, stride, params
            case multAdds = "mult_adds", standardMultAdds = "standard_mult_adds", ratio
        }
    }

    public var alpha: Double
    public var resolution: Int
    public var classes: Int?
    public var activation: String
    public var depthMultiplier: Int
    public var params: Int
    public var storedParams: Int
    public var multAdds: Int
    /// The paper's convention for resolutions other than 224: the 224 count times
    /// `(resolution / 224)^2`; nil for a graph that cannot run at 224 (TF-slim's fixed-size pool).
    public var paperMultAdds: Int?
    /// The body and its standard top: what the paper counts.
    public var layers: [Layer]
    /// Every other computing layer (`head_1`, ...): a retrained classifier, a detector's heads.
    public var head: [Layer]
    public var headParams: Int
    public var headMultAdds: Int
    /// Each output and the deepest body or top layer it is computed from.
    public var outputs: [OutputSource]

    public struct OutputSource: Sendable, Encodable {
        public var name: String
        public var from: String
    }

    enum CodingKeys: String, CodingKey {
        case alpha, resolution, classes, activation, depthMultiplier = "depth_multiplier"
        case params, storedParams = "stored_params", multAdds = "mult_adds", paperMultAdds = "paper_mult_adds", layers
        case head, headParams = "head_params", headMultAdds = "head_mult_adds", outputs
    }

    /// Costs of `model` (recognised in `graph`) at input side `resolution`.
    public init(model: MobileNetV1Model, graph: Graph, resolution: Int) throws(IRError) {
        let layers = try Self.layerCosts(model: model, graph: graph, resolution: resolution)
        let head = try Self.headCosts(model: model, graph: graph, resolution: resolution)
        self.head = head
        headParams = head.reduce(0) { $0 + $1.params }
        headMultAdds = head.reduce(0) { $0 + $1.multAdds }
        outputs = model.outputs.map { OutputSource(name: $0.name, from: $0.from) }
        self.alpha = model.alpha
        self.resolution = resolution
        self.classes = model.classes
        self.activation = model.activation
        self.depthMultiplier = model.depthMultiplier
        self.layers = layers
        params = layers.reduce(0) { $0 + $1.params }
        multAdds = layers.reduce(0) { $0 + $1.multAdds }
        storedParams = graph.constants.values.reduce(0) { $0 + $1.count }
        let at224 = resolution == 224 ? multAdds : (try? Self.layerCosts(model: model, graph: graph, resolution: 224))?.reduce(0) { $0 + $1.multAdds }
        paperMultAdds = at224.map { Int((Double($0) * Double(resolution * resolution) / Double(224 * 224)).rounded()) }
    }

    /// A convolution's or dense layer's mult-adds for one sample: every weight is used once at
    /// each output position (`[N, C, H, W]` outputs: H x W positions; dense `[N, ..., O]`: the
    /// axes between). Other ops count 0.
    public static func multAdds(of node: Node, in graph: Graph, outputShape out: [Int]) -> Int {
        guard node.inputs.count > 1, let w = graph.constants[node.inputs[1]], !out.isEmpty else { return 0 }
        switch node.op {
        case .conv2d: return out.count == 4 ? w.count * out[2] * out[3] : 0
        case .dense: return w.count * out.dropFirst().dropLast().reduce(1, *)
        default: return 0
        }
    }

    /// Every value's shape at batch 1 and input side `resolution`.
    static func shapes(_ graph: Graph, resolution: Int) throws(IRError) -> [String: [Int]] {
        let input = graph.inputs[0]
        let shape: [Int] = input.layout == .nhwc ? [1, resolution, resolution, input.shape[3] ?? 3] : [1, input.shape[1] ?? 3, resolution, resolution]
        return try graph.inferShapes(inputShapes: [input.name: shape])
    }

    /// `[H, W, C]` of a rank-4 value, the axes after the batch of any other.
    static func hwc(_ shape: [Int]) -> [Int] { shape.count == 4 ? [shape[2], shape[3], shape[1]] : Array(shape.dropFirst()) }

    /// The head's layers: their op, shapes (the first input's), weights (every constant they
    /// read) and mult-adds.
    static func headCosts(model: MobileNetV1Model, graph: Graph, resolution: Int) throws(IRError) -> [Layer] {
        guard !model.head.isEmpty else { return [] }
        let shapes = try shapes(graph, resolution: resolution)
        return model.head.map { layer in
            let node = graph.nodes[layer.node]
            var entry = Layer(name: layer.name, sourceName: layer.sourceName, op: node.op.name, input: hwc(shapes[node.inputs[0]] ?? []),
                              output: hwc(shapes[layer.output] ?? []), kernel: nil, stride: nil, params: 0, multAdds: 0, standardMultAdds: nil, ratio: nil)
            entry.params = node.inputs.dropFirst().compactMap { graph.constants[$0]?.count }.reduce(0, +)
            entry.multAdds = multAdds(of: node, in: graph, outputShape: shapes[layer.output] ?? [])
            if case .conv2d(let conv) = node.op, let w = graph.constants[node.inputs[1]] {
                entry.op = conv.groups > 1 ? "depthwise conv" : w.shape[2] * w.shape[3] == 1 ? "pointwise conv" : "conv"
                entry.kernel = [w.shape[2], w.shape[3]]
                entry.stride = conv.stride[0]
            }
            return entry
        }
    }

    static func layerCosts(model: MobileNetV1Model, graph: Graph, resolution: Int) throws(IRError) -> [Layer] {
        let shapes = try shapes(graph, resolution: resolution)
        func hwc(_ value: String) -> [Int] { Self.hwc(shapes[value]!) }
        var layers: [Layer] = []
        var depthwiseCost = 0, depthwiseInput: [Int] = []
        for layer in model.layers {
            let node = graph.nodes[layer.node]
            let inputValue = node.inputs[0]
            var entry = Layer(name: layer.name, sourceName: layer.sourceName, op: "", input: hwc(inputValue), output: hwc(layer.output),
                              kernel: nil, stride: nil, params: 0, multAdds: 0, standardMultAdds: nil, ratio: nil)
            switch node.op {
            case .conv2d(let conv):
                let w = graph.constants[node.inputs[1]]!
                let weights = w.count
                entry.kernel = [w.shape[2], w.shape[3]]
                entry.stride = conv.stride[0]
                entry.multAdds = Self.multAdds(of: node, in: graph, outputShape: shapes[layer.output]!)
                entry.params = weights
                if layer.name == "classifier" {
                    entry.op = "classifier"
                    entry.params += w.shape[0]
                } else if conv.groups > 1 {
                    entry.op = "depthwise conv"
                    depthwiseCost = entry.multAdds
                    depthwiseInput = entry.input
                } else if layer.name.hasPrefix("conv_pw") {
                    entry.op = "pointwise conv"
                    // DK * DK * M * N * DF * DF, with DF the depthwise output side.
                    let (m, n, df) = (depthwiseInput[2], w.shape[0], entry.input[0])
                    let standard = 9 * m * n * df * df
                    entry.standardMultAdds = standard
                    entry.ratio = Double(depthwiseCost + entry.multAdds) / Double(standard)
                } else {
                    entry.op = "conv"
                }
            case .dense:
                let w = graph.constants[node.inputs[1]]!
                entry.op = "classifier"
                entry.multAdds = Self.multAdds(of: node, in: graph, outputShape: shapes[layer.output]!)
                entry.params = w.count + w.shape[0]
            case .softmax:
                entry.op = "softmax"
            default:
                entry.op = "global pool"
            }
            layers.append(entry)
        }
        return layers
    }

    /// The report as indented JSON with sorted keys.
    public func json() -> String { JSONText.report(self) }

    /// A table that fits in 100 columns, then the totals.
    public func text() -> String {
        func count(_ n: Int) -> String {
            n >= 1_000_000 ? String(format: "%.2fM", Double(n) / 1e6) : n >= 1000 ? String(format: "%.1fK", Double(n) / 1e3) : "\(n)"
        }
        func shape(_ s: [Int]) -> String { s.map(String.init).joined(separator: "x") }
        var lines = [String(format: "MobileNetV1 alpha %g, resolution %d, %@, %@, depth multiplier %d", alpha, resolution,
                            classes.map { "\($0) classes" } ?? "no top", activation, depthMultiplier)]
        let header = "layer".padding(toLength: 12, withPad: " ", startingAt: 0) + "op".padding(toLength: 16, withPad: " ", startingAt: 0)
            + "input".padding(toLength: 14, withPad: " ", startingAt: 0) + "output".padding(toLength: 14, withPad: " ", startingAt: 0)
            + "k/s".padding(toLength: 6, withPad: " ", startingAt: 0) + "params".leftPadded(9) + "mult-adds".leftPadded(10) + "  vs standard"
        lines.append(header)
        for l in layers + head {
            let ks = l.kernel.map { "\($0[0])/\(l.stride ?? 1)" } ?? ""
            var line = l.name.padding(toLength: 12, withPad: " ", startingAt: 0) + l.op.padding(toLength: 16, withPad: " ", startingAt: 0)
                + shape(l.input).padding(toLength: 14, withPad: " ", startingAt: 0) + shape(l.output).padding(toLength: 14, withPad: " ", startingAt: 0)
                + ks.padding(toLength: 6, withPad: " ", startingAt: 0) + count(l.params).leftPadded(9) + count(l.multAdds).leftPadded(10)
            if let standard = l.standardMultAdds, let ratio = l.ratio {
                line += "  \(count(standard)) x\(String(format: "%.3f", ratio))"
            }
            lines.append(line)
        }
        lines.append("total: \(count(params)) parameters (\(params)), \(count(multAdds)) mult-adds (\(multAdds))"
                     + (head.isEmpty ? "" : " in the body and top"))
        if !head.isEmpty {
            lines.append("head: \(count(headParams)) parameters (\(headParams)), \(count(headMultAdds)) mult-adds (\(headMultAdds)); "
                         + "the whole model \(count(params + headParams)) parameters, \(count(multAdds + headMultAdds)) mult-adds")
        }
        if head.count > 0 || outputs.count > 1 {
            lines.append("outputs: " + outputs.map { "\($0.name) (from \($0.from))" }.joined(separator: ", "))
        }
        lines.append("stored: \(count(storedParams)) parameters (\(storedParams)), with the biases BatchNorm folding leaves")
        if resolution != 224, let paperMultAdds {
            lines.append("the paper's table scales the 224 count by (\(resolution)/224)^2: \(count(paperMultAdds)) mult-adds")
        }
        return lines.joined(separator: "\n")
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
