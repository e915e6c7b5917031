import MobileNetIR

/// What FoldBatchNorm and FoldAffine share: finding the conv (or rank-2 dense) whose output only a
/// per-channel op reads, and rescaling that op's output channels.
struct ConvOutputFold {
    /// The index of the conv or dense that produces `value`, when folding a per-channel op (axis 1)
    /// into it is exact: no fused activation, constant weight and bias (one per output channel),
    /// nothing else reads the value and it is not a graph output. A dense qualifies when its output is `[N, O]`, where axis 1 is
    /// the axis it computes.
    static func foldableConv(producing value: String, in graph: Graph, producers: [String: Int],
                             consumers: [String: [Int]], shapes: [String: [Int]]?) -> Int? {
        guard let index = producers[value], graph.hasSingleConsumer(value, consumers) else { return nil }
        switch graph.nodes[index].op {
        case .conv2d(let conv) where conv.activation == .none: break
        case .dense where shapes?[value]?.count == 2: break
        default: return nil
        }
        let inputs = graph.nodes[index].inputs
        guard let weight = graph.constants[inputs[1]], weight.rank >= 2, weight.shape[0] > 0 else { return nil }
        if inputs.count > 2, !inputs[2].isEmpty, graph.constants[inputs[2]]?.count != weight.shape[0] { return nil }
        return index
    }

    /// The output channels of the conv or dense at `convIndex` (found by `foldableConv`): what a
    /// folded op's per-channel constants must number. A file may say otherwise (the shapes are
    /// checked only when the graph runs); the passes then leave the op alone.
    static func outputChannels(_ graph: Graph, convIndex: Int) -> Int {
        graph.constants[graph.nodes[convIndex].inputs[1]]!.shape[0]
    }

    /// Replaces the conv's (or dense's) weight at `convIndex` by `W'[o] = scale[o] * W[o]` and its bias by
    /// `b'[o] = scale[o] * b[o] + shift[o]`, computed in `Double`, and makes the conv produce
    /// `newOutput`. Conv weights `[O, I/groups, kH, kW]` and dense weights `[O, K]` both put output
    /// channel `o` in row `o` (whatever the groups: depthwise convs with a multiplier need no special case).
    static func rescale(_ graph: inout Graph, convIndex: Int, scale: [Double], shift: [Double], newOutput: String) {
        let conv = graph.nodes[convIndex]
        let weight = graph.constants[conv.inputs[1]]!
        let outputs = weight.shape[0], perOutput = weight.count / outputs
        var folded = weight
        for o in 0..<outputs {
            for i in (o * perOutput)..<((o + 1) * perOutput) {
                folded.data[i] = Float(Double(weight.data[i]) * scale[o])
            }
        }
        let oldBias = conv.inputs.count > 2 && !conv.inputs[2].isEmpty ? graph.constants[conv.inputs[2]]!.data : nil
        let bias = (0..<outputs).map { o in Float(Double(oldBias?[o] ?? 0) * scale[o] + shift[o]) }

        let weightName = graph.freshConstantName("\(conv.name)/folded_weight")
        graph.constants[weightName] = folded
        let biasName = graph.freshConstantName("\(conv.name)/folded_bias")
        graph.constants[biasName] = Tensor(shape: [outputs], data: bias)
        graph.nodes[convIndex].inputs = [conv.inputs[0], weightName, biasName]
        graph.nodes[convIndex].outputs = [newOutput]
    }
}
