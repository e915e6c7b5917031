import MobileNetIR

/// Folds a per-channel affine into the convolution (or rank-2 dense) before it.
///
/// Given: `%2 = conv2d(%1, W, b)`; `%3 = affine(%2, s, t)`.
/// Result: `%3 = conv2d(%1, W', b')` with `W'[o] = s[o] * W[o]`, `b' = s * b + t`, in `Double`.
/// The same for `dense` with output `[N, O]`: a bias added after a MatMul becomes its bias.
/// Refuses under the same conditions as `FoldBatchNorm`.
public struct FoldAffine: GraphPass {
    public let name = "fold-affine"
    public init() {}

    public func run(_ graph: Graph) -> (graph: Graph, rewrites: Int) {
        var result = graph
        var removed: Set<Int> = []
        let producers = graph.producers(), consumers = graph.consumers(), shapes = graph.representativeShapes()
        for (index, node) in graph.nodes.enumerated() {
            guard node.op == .affine,
                  let conv = ConvOutputFold.foldableConv(producing: node.inputs[0], in: graph, producers: producers, consumers: consumers, shapes: shapes),
                  let scale = graph.constants[node.inputs[1]], let shift = graph.constants[node.inputs[2]],
                  scale.count == ConvOutputFold.outputChannels(graph, convIndex: conv), shift.count == scale.count else { continue }
            ConvOutputFold.rescale(&result, convIndex: conv, scale: scale.data.map(Double.init),
                                   shift: shift.data.map(Double.init), newOutput: node.output)
            removed.insert(index)
        }
        return (result.removingNodes(removed), removed.count)
    }
}
