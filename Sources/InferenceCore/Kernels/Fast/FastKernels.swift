import MobileNetIR

/// Which nodes run on fast kernels, and their weights in the layout those kernels read. An
/// engine prepares every node's weights once, when it is made; each plan (one per set of input
/// shapes) then builds its kernels on the same prepared weights.
enum PreparedWeights: @unchecked Sendable {
    case pointwise(GEMMWeights)
    case direct(GEMMWeights, kernel: [Int])
    case depthwise(DepthwiseWeights)
    case dense(GEMMWeights)

    /// The node's weights packed for its fast kernel, or nil when the node runs on the
    /// reference kernels (no fast kernel for its op, or weights that are not constants).
    /// Weights `sharing` holds already are taken from there, and those packed here left there.
    static func prepare(_ node: Node, constants: [String: Tensor], sharing: WeightSharing? = nil) -> PreparedWeights? {
        let isDense = node.op == .dense
        guard node.inputs.count > 1, let weight = constants[node.inputs[1]] else { return nil }
        var bias: Tensor?
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            guard let b = constants[node.inputs[2]] else { return nil }
            bias = b
        }
        func shared<Packed: AnyObject & Sendable>(_ pack: () -> Packed) -> Packed {
            sharing?.packed(weight: weight, bias: bias, pack: pack) ?? pack()
        }
        if isDense {
            return weight.rank == 2 ? .dense(shared { GEMMWeights(weight: weight, bias: bias) }) : nil
        }
        guard case .conv2d(let conv) = node.op, weight.rank == 4 else { return nil }
        if FastDepthwiseConv.handles(conv, weight: weight.shape) {
            return .depthwise(shared { DepthwiseWeights(weight: weight, bias: bias) })
        }
        guard conv.groups == 1 else { return nil }
        // A 1x1 stride-1 convolution pads nothing whatever the input size, unless told to.
        let pointwise = weight.shape[2] == 1 && weight.shape[3] == 1 && conv.stride == [1, 1]
            && conv.padding.resolved(inputSize: [1, 1], kernel: [1, 1], stride: [1, 1], dilation: [1, 1]) == [0, 0, 0, 0]
        let panels = shared { GEMMWeights(weight: weight, bias: bias) }
        return pointwise ? .pointwise(panels) : .direct(panels, kernel: [weight.shape[2], weight.shape[3]])
    }

    /// The node's fast kernel for these shapes (`input` is the first operand's).
    func kernel(for node: Node, input: [Int], output: [Int], threads: Int) -> any PreparedKernel {
        switch self {
        case .dense(let weights): return FastDense(input: input, weights: weights, threads: threads)
        case .pointwise(let weights):
            guard case .conv2d(let conv) = node.op else { preconditionFailure("pointwise weights on \(node.op.name)") }
            return FastPointwiseConv(input: input, weights: weights, activation: conv.activation, threads: threads)
        case .direct(let weights, let kernel):
            guard case .conv2d(let conv) = node.op else { preconditionFailure("direct convolution weights on \(node.op.name)") }
            return FastDirectConv(input: input, output: output, kernel: kernel, weights: weights, conv: conv, threads: threads)
        case .depthwise(let weights):
            guard case .conv2d(let conv) = node.op else { preconditionFailure("depthwise weights on \(node.op.name)") }
            return FastDepthwiseConv(input: input, output: output, weights: weights, conv: conv, threads: threads)
        }
    }
}
