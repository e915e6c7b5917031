import MobileNetIR

/// What FoldBatchNorm and FoldAffine share: finding a conv whose output only a per-channel op reads,
/// and rescaling that conv's output channels.
struct ConvOutputFold {
    /// The index of the conv that produces `value`, when folding a per-channel op into it is exact:
    /// the conv is the value's only producer, has no fused activation, constant weight and bias,
    /// and nothing else reads the value and it is not a graph output.
    static func foldableConv(producing value: String, in graph: Graph, producers: [String: Int],
                             consumers: [String: [Int]]) -> Int? {
        guard let index = producers[value], case .conv2d(let conv) = graph.nodes[index].op,
              conv.activation == .none, graph.hasSingleConsumer(value, consumers) else { return nil }
        let inputs = graph.nodes[index].inputs
        guard graph.constants[inputs[1]] != nil else { return nil }
        if inputs.count > 2, !inputs[2].isEmpty, graph.constants[inputs[2]] == nil { return nil }
        return index
    }

    /// Replaces the conv at `convIndex`'s weight by `W'[o] = scale[o] * W[o]` and its bias by
    /// `b'[o] = scale[o] * b[o] + shift[o]`, computed in `Double`, and makes the conv produce
    /// `newOutput`. The weight's `[O, I/groups, kH, kW]` layout puts output channel `o` in row
    /// `o` whatever the groups, so depthwise convs with a multiplier need no special case.
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
