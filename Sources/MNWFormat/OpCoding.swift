import MobileNetIR

/// The mapping between IR ops and the `op` / `attributes` of a `.mnw` node record.
extension MNWHeader.Attributes {
    static func encode(_ op: Op) -> (String, MNWHeader.Attributes) {
        var a = MNWHeader.Attributes()
        switch op {
        case .conv2d(let conv):
            a.stride = conv.stride
            a.dilation = conv.dilation
            a.groups = conv.groups
            a.setPadding(conv.padding)
            a.setActivation(conv.activation)
        case .batchNorm(let epsilon): a.epsilon = epsilon
        case .activation(let activation): a.setActivation(activation)
        case .pad(let pads, let value):
            a.pads = pads
            a.value = value
        case .averagePool(let pool), .maxPool(let pool):
            a.kernel = pool.kernel
            a.stride = pool.stride
            a.setPadding(pool.padding)
            a.countIncludePad = pool.countIncludePad
            a.ceilMode = pool.ceilMode
        case .reduceMean(let axes, let keepDims):
            a.axes = axes
            a.keepDims = keepDims
        case .reshape(let shape): a.shape = shape
        case .flatten(let axis): a.axis = axis
        case .squeeze(let axes), .unsqueeze(let axes): a.axes = axes
        case .transpose(let perm): a.perm = perm
        case .softmax(let axis, let coerced):
            a.axis = axis
            a.coerced = coerced
        case .concat(let axis): a.axis = axis
        case .affine, .globalAveragePool, .dense, .binary, .identity, .sigmoid: break
        }
        return (op.name, a)
    }

    func decode(op name: String, node: String) throws(MNWError) -> Op {
        func need<T>(_ value: T?, _ key: String) throws(MNWError) -> T {
            guard let value else { throw .headerInvalid("node '\(node)' (\(name)) has no attribute '\(key)'") }
            return value
        }
        switch name {
        case "conv2d":
            return .conv2d(Conv2D(stride: try need(stride, "stride"), padding: try padding(node: node),
                                  dilation: try need(dilation, "dilation"), groups: try need(groups, "groups"),
                                  activation: try activation(node: node)))
        case "batch_norm": return .batchNorm(epsilon: try need(epsilon, "epsilon"))
        case "affine": return .affine
        case "activation": return .activation(try activation(node: node))
        case "pad": return .pad(pads: try need(pads, "pads"), value: try need(value, "value"))
        case "average_pool", "max_pool":
            let pool = Pool(kernel: try need(kernel, "kernel"), stride: try need(stride, "stride"), padding: try padding(node: node),
                            countIncludePad: try need(countIncludePad, "count_include_pad"), ceilMode: try need(ceilMode, "ceil_mode"))
            return name == "average_pool" ? .averagePool(pool) : .maxPool(pool)
        case "global_average_pool": return .globalAveragePool
        case "reduce_mean": return .reduceMean(axes: try need(axes, "axes"), keepDims: try need(keepDims, "keep_dims"))
        case "dense": return .dense
        case "reshape": return .reshape(shape: try need(shape, "shape"))
        case "flatten": return .flatten(axis: try need(axis, "axis"))
        case "squeeze": return .squeeze(axes: try need(axes, "axes"))
        case "unsqueeze": return .unsqueeze(axes: try need(axes, "axes"))
        case "transpose": return .transpose(perm: try need(perm, "perm"))
        case "softmax": return .softmax(axis: try need(axis, "axis"), coerced: try need(coerced, "coerced"))
        case "identity": return .identity
        case "concat": return .concat(axis: try need(axis, "axis"))
        case "sigmoid": return .sigmoid
        default:
            if let op = BinaryOp(rawValue: name) { return .binary(op) }
            throw .headerInvalid("node '\(node)' has unknown op '\(name)'")
        }
    }

    private mutating func setPadding(_ padding: Padding) {
        switch padding {
        case .explicit(let p):
            self.padding = "explicit"
            pads = p
        case .sameUpper: self.padding = "same_upper"
        case .sameLower: self.padding = "same_lower"
        }
    }

    private func padding(node: String) throws(MNWError) -> Padding {
        switch padding {
        case "explicit"?:
            guard let pads, pads.count == 4 else { throw .headerInvalid("node '\(node)' has explicit padding without four pads") }
            return .explicit(pads)
        case "same_upper"?: return .sameUpper
        case "same_lower"?: return .sameLower
        default: throw .headerInvalid("node '\(node)' has padding '\(padding ?? "(none)")'")
        }
    }

    private mutating func setActivation(_ activation: Activation) {
        switch activation {
        case .none: self.activation = "none"
        case .relu: self.activation = "relu"
        case .relu6: self.activation = "relu6"
        case .clip(let lo, let hi):
            self.activation = "clip"
            clipMin = lo
            clipMax = hi
        }
    }

    private func activation(node: String) throws(MNWError) -> Activation {
        switch activation {
        case "none"?: return .none
        case "relu"?: return .relu
        case "relu6"?: return .relu6
        case "clip"?:
            guard let clipMin, let clipMax else { throw .headerInvalid("node '\(node)' has clip without bounds") }
            return .clip(min: clipMin, max: clipMax)
        default: throw .headerInvalid("node '\(node)' has activation '\(activation ?? "(none)")'")
        }
    }
}
