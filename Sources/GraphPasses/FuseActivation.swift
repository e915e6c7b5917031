import MobileNetIR

/// Fuses ReLU, ReLU6 and Clip into the convolution before them.
///
/// Given: `%2 = conv2d(%1, W, b)`; `%3 = activation(%2, relu6)`.
/// Result: `%3 = conv2d(%1, W, b, activation: relu6)`. Clip(0, 6) arrives here as ReLU6 and is
/// kept as ReLU6, never lowered to ReLU; any other Clip bounds are kept as they are.
/// Refuses when the conv already has an activation, or `%2` has another reader or is a graph output.
public struct FuseActivation: GraphPass {
    public let name = "fuse-activation"
    public init() {}

    public func run(_ graph: Graph) -> (graph: Graph, rewrites: Int) {
        var result = graph
        var removed: Set<Int> = []
        let producers = graph.producers(), consumers = graph.consumers()
        for (index, node) in graph.nodes.enumerated() {
            guard case .activation(let activation) = node.op,
                  let convIndex = producers[node.inputs[0]], case .conv2d(var conv) = graph.nodes[convIndex].op,
                  conv.activation == .none, graph.hasSingleConsumer(node.inputs[0], consumers) else { continue }
            conv.activation = activation.canonical
            result.nodes[convIndex].op = .conv2d(conv)
            result.nodes[convIndex].outputs = node.outputs
            removed.insert(index)
        }
        return (result.removingNodes(removed), removed.count)
    }
}
