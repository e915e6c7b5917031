import MobileNetIR

/// Folds an inference BatchNorm into the convolution before it.
///
/// Given: `%2 = conv2d(%1, W, b)`; `%3 = batch_norm(%2, gamma, beta, mean, var, epsilon)`.
/// Result: `%3 = conv2d(%1, W', b')` with `s = gamma / sqrt(var + epsilon)` in `Double`,
/// `W'[o] = s[o] * W[o]`, `b' = s * (b - mean) + beta` (`b = 0` when the conv had none), and
/// the model's own epsilon.
/// Refuses when `%2` has another reader or is a graph output, when the conv already has a fused
/// activation, when any weight or statistic is not a constant, or when the statistics do not number
/// the conv's output channels (running the graph then says what is wrong).
public struct FoldBatchNorm: GraphPass {
    public let name = "fold-batch-norm"
    public init() {}

    public func run(_ graph: Graph) -> (graph: Graph, rewrites: Int) {
        var result = graph
        var removed: Set<Int> = []
        let producers = graph.producers(), consumers = graph.consumers(), shapes = graph.representativeShapes()
        for (index, node) in graph.nodes.enumerated() {
            guard case .batchNorm(let epsilon) = node.op,
                  let conv = ConvOutputFold.foldableConv(producing: node.inputs[0], in: graph, producers: producers, consumers: consumers, shapes: shapes) else { continue }
            let channels = ConvOutputFold.outputChannels(graph, convIndex: conv)
            let parameters = node.inputs[1...4].compactMap { graph.constants[$0] }
            guard parameters.count == 4, parameters.allSatisfy({ $0.count == channels }) else { continue }
            let (gamma, beta, mean, variance) = (parameters[0].data, parameters[1].data, parameters[2].data, parameters[3].data)
            let scale = gamma.indices.map { Double(gamma[$0]) / (Double(variance[$0]) + Double(epsilon)).squareRoot() }
            let shift = gamma.indices.map { Double(beta[$0]) - scale[$0] * Double(mean[$0]) }
            ConvOutputFold.rescale(&result, convIndex: conv, scale: scale, shift: shift, newOutput: node.output)
            removed.insert(index)
        }
        return (result.removingNodes(removed), removed.count)
    }
}
