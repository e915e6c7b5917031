import MobileNetIR

/// Folds a zero padding of H and W into the convolution after it.
///
/// Given: `%2 = pad(%1, pads: [0, 0, t, l, 0, 0, b, r], value: 0)`; `%3 = conv2d(%2, W)` with
/// explicit padding `[t0, l0, b0, r0]`.
/// Result: `%3 = conv2d(%1, W)` with padding `[t0 + t, l0 + l, b0 + b, r0 + r]`: how Keras's
/// `ZeroPadding2D(((0, 1), (0, 1)))` before a stride-2 depthwise conv comes out of tf2onnx.
/// Refuses for a non-zero value, padding of N or C, negative pads (crops), a conv with SAME padding
/// (its padding depends on the input size), or when `%2` has another reader or is a graph output.
public struct FoldPad: GraphPass {
    public let name = "fold-pad"
    public init() {}

    public func run(_ graph: Graph) -> (graph: Graph, rewrites: Int) {
        var result = graph
        var removed: Set<Int> = []
        let producers = graph.producers(), consumers = graph.consumers()
        for (index, node) in graph.nodes.enumerated() {
            guard case .conv2d(var conv) = node.op, case .explicit(let convPads) = conv.padding,
                  let padIndex = producers[node.inputs[0]], case .pad(let pads, let value) = graph.nodes[padIndex].op,
                  value == 0, pads.count == 8, pads.allSatisfy({ $0 >= 0 }),
                  pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0,
                  graph.hasSingleConsumer(node.inputs[0], consumers) else { continue }
            conv.padding = .explicit([convPads[0] + pads[2], convPads[1] + pads[3], convPads[2] + pads[6], convPads[3] + pads[7]])
            result.nodes[index].op = .conv2d(conv)
            result.nodes[index].inputs[0] = graph.nodes[padIndex].inputs[0]
            removed.insert(padIndex)
        }
        return (result.removingNodes(removed), removed.count)
    }
}
