import Foundation
import MobileNetIR

/// A Keras tensor as the IR holds it: rank-4 channels-last tensors are held `permuted` (the IR
/// value is the NHWC tensor transposed to NCHW), others as they are. `channels` is the size of
/// the channel axis where known, for checking weight shapes.
struct KerasValue {
    var name: String
    var permuted: Bool
    var channels: Int?
}

/// The Keras layer table: how each supported layer class becomes IR.
///
/// Kernels are converted once, here: `Conv2D` `[kH, kW, in/groups, out]` -> `[out, in/groups, kH, kW]`,
/// `DepthwiseConv2D` `[kH, kW, in, multiplier]` -> `[in * multiplier, 1, kH, kW]` (output channel
/// `i * multiplier + m`), `Dense` `[in, out]` -> `[out, in]`.
extension KerasGraphBuilder {
    mutating func convert(_ layer: KerasLayer, weights: [Tensor]) throws(KerasImportError) {
        if layer.className == "InputLayer" { return try convertInput(layer) }
        if Self.merging.contains(layer.className) { return try convertMerge(layer) }
        guard let inbound = layer.inbound.first, let x = values[inbound], layer.inbound.count == 1 else {
            throw .invalidConfig("layer '\(layer.name)' reads \(layer.inbound), which is not one earlier layer")
        }
        if let format = layer.string("data_format"), format != "channels_last" {
            throw .unsupportedOption(layer: layer.name, detail: "data_format \(format) is not supported (channels_last only)")
        }
        switch layer.className {
        case "Conv2D": try convertConv(layer, x, weights, depthwise: false)
        case "DepthwiseConv2D": try convertConv(layer, x, weights, depthwise: true)
        case "BatchNormalization": try convertBatchNorm(layer, x, weights)
        case "ReLU": try convertReLU(layer, x)
        case "Activation": values[layer.name] = try activation(layer.activation, on: x, layer: layer)
        case "Softmax": values[layer.name] = try activation("softmax", on: x, layer: layer)
        case "ZeroPadding2D": try convertZeroPadding(layer, x)
        case "GlobalAveragePooling2D":
            let keepDims = layer.bool("keepdims") ?? false
            let input = nchw(x, for: layer.name)
            let op: Op = keepDims ? .globalAveragePool : .reduceMean(axes: [2, 3], keepDims: false)
            values[layer.name] = KerasValue(name: emit(layer.name, op, [input]), permuted: keepDims, channels: x.channels)
        case "AveragePooling2D", "MaxPooling2D": try convertPool(layer, x)
        case "Dropout", "SpatialDropout2D", "GaussianDropout", "GaussianNoise":
            values[layer.name] = x
        case "Reshape":
            guard let target = layer.config["target_shape"] as? [Any] else { throw .invalidConfig("layer '\(layer.name)' has no target_shape") }
            let shape = target.compactMap { ($0 as? NSNumber)?.intValue }
            let input = channelsLast(x, for: layer.name)
            values[layer.name] = KerasValue(name: emit(layer.name, .reshape(shape: [0] + shape), [input]), permuted: false, channels: shape.last)
        case "Flatten":
            let input = channelsLast(x, for: layer.name)
            values[layer.name] = KerasValue(name: emit(layer.name, .flatten(axis: 1), [input]), permuted: false, channels: nil)
        case "Dense": try convertDense(layer, x, weights)
        case KerasLayer.alias: values[layer.name] = x
        default: throw .unsupportedLayer(layer: layer.name, className: layer.className)
        }
    }

    /// Layers that combine several inputs.
    static let merging: Set<String> = ["Concatenate", "Add", "Subtract", "Multiply"]

    /// Concatenate (along `axis`, channels-last), Add, Subtract and Multiply: in NCHW when every
    /// input is held that way, else in Keras's layout.
    private mutating func convertMerge(_ layer: KerasLayer) throws(KerasImportError) {
        var parts: [KerasValue] = []
        for name in layer.inbound {
            guard let value = values[name] else { throw .invalidConfig("layer '\(layer.name)' reads '\(name)', which no earlier layer computes") }
            parts.append(value)
        }
        guard parts.count >= 2 || (layer.className == "Concatenate" && parts.count == 1) else {
            throw .invalidConfig("layer '\(layer.name)' merges \(parts.count) inputs")
        }
        let permuted = parts.allSatisfy(\.permuted)
        var names: [String] = []
        for part in parts { names.append(permuted ? part.name : channelsLast(part, for: layer.name)) }
        if layer.className == "Concatenate" {
            var axis = layer.int("axis") ?? -1
            var channels: Int?
            if permuted {
                guard (-4..<4).contains(axis) else { throw .unsupportedOption(layer: layer.name, detail: "axis \(axis) is outside rank 4") }
                axis = TensorLayout.nhwc.nchwAxis(axis < 0 ? axis + 4 : axis)
                if axis == 1 { channels = parts.compactMap(\.channels).count == parts.count ? parts.compactMap(\.channels).reduce(0, +) : nil }
                else { channels = parts[0].channels }
            }
            values[layer.name] = KerasValue(name: emit(layer.name, .concat(axis: axis), names), permuted: permuted, channels: channels)
            return
        }
        let op: BinaryOp = ["Add": .add, "Subtract": .sub, "Multiply": .mul][layer.className]!
        var result = names[0]
        for (i, next) in names.dropFirst().enumerated() {
            result = emit(layer.name, .binary(op), [result, next], suffix: i == names.count - 2 ? nil : "\(i)")
        }
        values[layer.name] = KerasValue(name: result, permuted: permuted, channels: parts[0].channels)
    }

    private mutating func convertInput(_ layer: KerasLayer) throws(KerasImportError) {
        guard let raw = (layer.config["batch_shape"] ?? layer.config["batch_input_shape"]) as? [Any] else {
            throw .invalidConfig("input layer '\(layer.name)' has no batch_shape")
        }
        var shape: [Int?] = raw.map { ($0 as? NSNumber)?.intValue }
        if let side = resolution, shape.count == 4 { shape[1] = side; shape[2] = side }
        let name = reserve(layer.name)
        if shape.count == 4 {
            graphInputs.append(GraphInput(name: name, shape: shape, layout: .nhwc))
            values[layer.name] = KerasValue(name: emit(layer.name, .transpose(perm: [0, 3, 1, 2]), [name], suffix: "to_nchw"),
                                            permuted: true, channels: shape[3])
        } else {
            graphInputs.append(GraphInput(name: name, shape: shape, layout: nil))
            values[layer.name] = KerasValue(name: name, permuted: false, channels: shape.last ?? nil)
        }
    }

    private mutating func convertConv(_ layer: KerasLayer, _ x: KerasValue, _ weights: [Tensor], depthwise: Bool) throws(KerasImportError) {
        let kernelSize = layer.pair("kernel_size", default: [1, 1])
        let useBias = layer.bool("use_bias") ?? true
        guard weights.count == (useBias ? 2 : 1) else {
            throw .missingWeights(layer: layer.name, detail: "\(weights.count) weights stored, \(useBias ? 2 : 1) expected (kernel\(useBias ? " and bias" : ""))")
        }
        let kernel = weights[0]
        let channels = x.channels ?? (kernel.rank == 4 ? kernel.shape[2] : 0)
        let groups = depthwise ? channels : (layer.int("groups") ?? 1)
        let outputs: Int
        let expected: [Int]
        if depthwise {
            let multiplier = layer.int("depth_multiplier") ?? 1
            outputs = channels * multiplier
            expected = kernelSize + [channels, multiplier]
        } else {
            outputs = layer.int("filters") ?? (kernel.rank == 4 ? kernel.shape[3] : 0)
            guard groups >= 1, channels % groups == 0 else { throw .shapeMismatch(layer: layer.name, detail: "\(channels) input channels in \(groups) groups") }
            expected = kernelSize + [channels / groups, outputs]
        }
        try requireShape(kernel, expected, layer: layer, what: "kernel")
        let weight = depthwise
            ? Tensor(shape: [outputs, 1] + kernelSize, data: kernel.transposed([2, 3, 0, 1]).data)
            : kernel.transposed([3, 2, 0, 1])
        var inputs = [nchw(x, for: layer.name), try addWeight(weight, layer: layer, role: "kernel")]
        if useBias {
            try requireShape(weights[1], [outputs], layer: layer, what: "bias")
            inputs.append(try addWeight(weights[1], layer: layer, role: "bias"))
        }
        let padding: Padding
        switch layer.string("padding") ?? "valid" {
        case "same": padding = .sameUpper
        case "valid": padding = .explicit([0, 0, 0, 0])
        case let other: throw .unsupportedOption(layer: layer.name, detail: "padding '\(other)' is not supported")
        }
        let conv = Conv2D(stride: layer.pair("strides", default: [1, 1]), padding: padding,
                          dilation: layer.pair("dilation_rate", default: [1, 1]), groups: groups)
        let value = KerasValue(name: emit(layer.name, .conv2d(conv), inputs, suffix: layer.activation == "linear" ? nil : "conv"),
                               permuted: true, channels: outputs)
        values[layer.name] = try activation(layer.activation, on: value, layer: layer)
    }

    /// Weights in Keras's order: gamma (unless `scale=False`), beta (unless `center=False`),
    /// moving mean, moving variance. A missing gamma is 1, a missing beta 0.
    private mutating func convertBatchNorm(_ layer: KerasLayer, _ x: KerasValue, _ weights: [Tensor]) throws(KerasImportError) {
        let scale = layer.bool("scale") ?? true, center = layer.bool("center") ?? true
        let expectedCount = 2 + (scale ? 1 : 0) + (center ? 1 : 0)
        guard weights.count == expectedCount else {
            throw .missingWeights(layer: layer.name, detail: "\(weights.count) weights stored, \(expectedCount) expected")
        }
        let channels = x.channels ?? weights[0].count
        let axis = layer.int("axis") ?? (layer.config["axis"] as? [Any])?.first.flatMap { ($0 as? NSNumber)?.intValue } ?? -1
        guard axis == -1 || (x.permuted && axis == 3) || (!x.permuted && axis == 1) else {
            throw .unsupportedOption(layer: layer.name, detail: "normalising axis \(axis) is not supported (the channel axis only)")
        }
        var parameters: [Tensor] = []
        var next = 0
        for (present, fill) in [(scale, Float(1)), (center, Float(0)), (true, Float(0)), (true, Float(0))] {
            if present {
                try requireShape(weights[next], [channels], layer: layer, what: "weight \(next)")
                parameters.append(weights[next])
                next += 1
            } else {
                parameters.append(Tensor(shape: [channels], repeating: fill))
            }
        }
        let epsilon = Float(layer.double("epsilon") ?? 1e-3)
        var inputs = [x.name]
        for (role, tensor) in zip(["gamma", "beta", "moving_mean", "moving_variance"], parameters) {
            inputs.append(try addWeight(tensor, layer: layer, role: role))
        }
        values[layer.name] = KerasValue(name: emit(layer.name, .batchNorm(epsilon: epsilon), inputs), permuted: x.permuted, channels: channels)
    }

    private mutating func convertReLU(_ layer: KerasLayer, _ x: KerasValue) throws(KerasImportError) {
        guard (layer.double("negative_slope") ?? 0) == 0, (layer.double("threshold") ?? 0) == 0 else {
            throw .unsupportedOption(layer: layer.name, detail: "a leaky or thresholded ReLU is not supported")
        }
        let activation: Activation = layer.double("max_value").map { Activation.clip(min: 0, max: Float($0)).canonical } ?? .relu
        values[layer.name] = KerasValue(name: emit(layer.name, .activation(activation), [x.name]), permuted: x.permuted, channels: x.channels)
    }

    /// `relu`, `relu6`, `softmax` (over channels), `sigmoid` or `linear` after a layer.
    mutating func activation(_ name: String, on x: KerasValue, layer: KerasLayer) throws(KerasImportError) -> KerasValue {
        let op: Op
        switch name {
        case "linear": return x
        case "relu": op = .activation(.relu)
        case "relu6": op = .activation(.relu6)
        case "softmax": op = .softmax(axis: x.permuted ? 1 : -1, coerced: false)
        case "sigmoid": op = .sigmoid
        default: throw .unsupportedOption(layer: layer.name, detail: "activation '\(name)' is not supported")
        }
        return KerasValue(name: emit(layer.name, op, [x.name]), permuted: x.permuted, channels: x.channels)
    }

    /// `padding`: `n`, `(a, b)` (a rows on both sides, b columns on both sides) or `((top, bottom), (left, right))`.
    private mutating func convertZeroPadding(_ layer: KerasLayer, _ x: KerasValue) throws(KerasImportError) {
        var t = 0, b = 0, l = 0, r = 0
        if let n = layer.int("padding") {
            (t, b, l, r) = (n, n, n, n)
        } else if let pairs = layer.config["padding"] as? [Any], pairs.count == 2 {
            if let rows = pairs[0] as? [Any], let columns = pairs[1] as? [Any], rows.count == 2, columns.count == 2 {
                let v = (rows + columns).compactMap { ($0 as? NSNumber)?.intValue }
                guard v.count == 4 else { throw .invalidConfig("layer '\(layer.name)' has padding \(pairs)") }
                (t, b, l, r) = (v[0], v[1], v[2], v[3])
            } else {
                let v = pairs.compactMap { ($0 as? NSNumber)?.intValue }
                guard v.count == 2 else { throw .invalidConfig("layer '\(layer.name)' has padding \(pairs)") }
                (t, b, l, r) = (v[0], v[0], v[1], v[1])
            }
        }
        let input = nchw(x, for: layer.name)
        values[layer.name] = KerasValue(name: emit(layer.name, .pad(pads: [0, 0, t, l, 0, 0, b, r], value: 0), [input]),
                                        permuted: true, channels: x.channels)
    }

    private mutating func convertPool(_ layer: KerasLayer, _ x: KerasValue) throws(KerasImportError) {
        let size = layer.pair("pool_size", default: [2, 2])
        let stride = layer.config["strides"] is NSNull || layer.config["strides"] == nil ? size : layer.pair("strides", default: size)
        let padding: Padding = layer.string("padding") == "same" ? .sameUpper : .explicit([0, 0, 0, 0])
        let pool = Pool(kernel: size, stride: stride, padding: padding, countIncludePad: false)
        let op: Op = layer.className == "AveragePooling2D" ? .averagePool(pool) : .maxPool(pool)
        values[layer.name] = KerasValue(name: emit(layer.name, op, [nchw(x, for: layer.name)]), permuted: true, channels: x.channels)
    }

    private mutating func convertDense(_ layer: KerasLayer, _ x: KerasValue, _ weights: [Tensor]) throws(KerasImportError) {
        let useBias = layer.bool("use_bias") ?? true
        guard weights.count == (useBias ? 2 : 1), weights[0].rank == 2 else {
            throw .missingWeights(layer: layer.name, detail: "\(weights.count) weights stored, a kernel\(useBias ? " and a bias" : "") expected")
        }
        let units = layer.int("units") ?? weights[0].shape[1]
        try requireShape(weights[0], [x.channels ?? weights[0].shape[0], units], layer: layer, what: "kernel")
        let input = channelsLast(x, for: layer.name)
        var inputs = [input, try addWeight(weights[0].transposed([1, 0]), layer: layer, role: "kernel")]
        if useBias {
            try requireShape(weights[1], [units], layer: layer, what: "bias")
            inputs.append(try addWeight(weights[1], layer: layer, role: "bias"))
        }
        let value = KerasValue(name: emit(layer.name, .dense, inputs, suffix: layer.activation == "linear" ? nil : "dense"),
                               permuted: false, channels: units)
        values[layer.name] = try activation(layer.activation, on: value, layer: layer)
    }

    func requireShape(_ tensor: Tensor, _ expected: [Int], layer: KerasLayer, what: String) throws(KerasImportError) {
        guard tensor.shape == expected else {
            throw .shapeMismatch(layer: layer.name, detail: "\(what) has shape \(tensor.shape), expected \(expected)")
        }
    }
}
