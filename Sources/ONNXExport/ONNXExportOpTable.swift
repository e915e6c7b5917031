import MobileNetIR

/// IR op -> ONNX nodes, one case each.
///
/// | IR | ONNX |
/// |---|---|
/// | `conv2d` | `Conv` (explicit `pads`, `group`, bias as third input), then `Relu` or `Clip` for a fused activation |
/// | `activation` | `Relu`, or `Clip` with its bounds as initializers |
/// | `batchNorm` | `BatchNormalization` |
/// | `affine` | `Mul` then `Add`, per-channel constants shaped `[C, 1, 1]` |
/// | `pad` | `Pad` (mode constant; pads and value as inputs) |
/// | `averagePool`, `maxPool`, `globalAveragePool` | `AveragePool`, `MaxPool`, `GlobalAveragePool` |
/// | `reduceMean` | `ReduceMean` (axes as attribute below opset 18, as input from 18) |
/// | `dense` | `Gemm` with `transB = 1` on a matrix, else `MatMul` and `Add` |
/// | `reshape`, `flatten` | `Reshape` (a leading 1 written as 0: copy the batch), `Flatten` |
/// | `squeeze`, `unsqueeze` | `Squeeze`, `Unsqueeze` (axes as attribute below opset 13, as input from 13) |
/// | `transpose`, `softmax`, `binary`, `identity` | `Transpose`, `Softmax`, `Add`/`Sub`/`Mul`/`Div`, `Identity` |
/// | `concat`, `sigmoid` | `Concat`, `Sigmoid` |
extension ONNXGraphWriter {
    mutating func emit(_ node: Node) throws(ONNXExportError) {
        let name = displayName(node)
        let out = try value(node.output)
        func x() throws(ONNXExportError) -> String { try value(node.inputs[0]) }
        func add(_ opType: String, _ inputs: [String], _ output: String, _ attributes: [(name: String, value: Message.AttributeValue)] = [],
                 suffix: String = "") {
            nodes.append(.init(name: suffix.isEmpty ? name : "\(name)/\(suffix)", opType: opType, inputs: inputs, outputs: [output], attributes: attributes))
        }
        let inputShape = shapes[node.inputs[0]] ?? []

        switch node.op {
        case .conv2d(let conv):
            let w = graph.constants[node.inputs[1]]
            guard let w else { throw .unsupported(node: node.name, detail: "the convolution's weight is not a constant") }
            let layer = options.layerNames[node.name]
            var inputs = [try x(), try value(node.inputs[1], preferred: layer.map { "\($0).weight" })]
            if node.inputs.count > 2, !node.inputs[2].isEmpty { inputs.append(try value(node.inputs[2], preferred: layer.map { "\($0).bias" })) }
            let pads = conv.padding.resolved(inputSize: [inputShape[2], inputShape[3]], kernel: [w.shape[2], w.shape[3]],
                                             stride: conv.stride, dilation: conv.dilation)
            let attributes: [(name: String, value: Message.AttributeValue)] = [
                ("kernel_shape", .ints([w.shape[2], w.shape[3]].map { Int64($0) })), ("strides", .ints(conv.stride.map { Int64($0) })),
                ("pads", .ints(pads.map { Int64($0) })), ("dilations", .ints(conv.dilation.map { Int64($0) })), ("group", .int(Int64(conv.groups))),
            ]
            if conv.activation == .none {
                add("Conv", inputs, out, attributes)
            } else {
                let convOut = claim("\(out)/conv")
                add("Conv", inputs, convOut, attributes)
                try activation(conv.activation, input: convOut, output: out, name: "\(name)/activation")
            }
        case .activation(let a):
            try activation(a, input: try x(), output: out, name: name)
        case .batchNorm(let epsilon):
            var inputs = [try x()]
            for input in node.inputs.dropFirst() { inputs.append(try value(input)) }
            add("BatchNormalization", inputs, out, [("epsilon", .float(epsilon))])
        case .affine:
            // Per-channel along axis 1: shaped to broadcast over the axes after it.
            let perChannel = [inputShape.count > 1 ? inputShape[1] : 1] + Array(repeating: 1, count: max(inputShape.count - 2, 0))
            let scaled = claim("\(out)/scaled")
            add("Mul", [try x(), try value(node.inputs[1], shape: perChannel)], scaled, suffix: "scale")
            add("Add", [scaled, try value(node.inputs[2], shape: perChannel)], out, suffix: "shift")
        case .pad(let pads, let padValue):
            let inputs = [try x(), ints("\(name).pads", pads), floatScalar("\(name).value", padValue)]
            add("Pad", inputs, out, [("mode", .string("constant"))])
        case .averagePool(let pool), .maxPool(let pool):
            let pads = pool.padding.resolved(inputSize: [inputShape[2], inputShape[3]], kernel: pool.kernel, stride: pool.stride, dilation: [1, 1])
            var attributes: [(name: String, value: Message.AttributeValue)] = [
                ("kernel_shape", .ints(pool.kernel.map { Int64($0) })), ("strides", .ints(pool.stride.map { Int64($0) })),
                ("pads", .ints(pads.map { Int64($0) })), ("ceil_mode", .int(pool.ceilMode ? 1 : 0)),
            ]
            if case .averagePool = node.op {
                attributes.append(("count_include_pad", .int(pool.countIncludePad ? 1 : 0)))
                add("AveragePool", [try x()], out, attributes)
            } else {
                add("MaxPool", [try x()], out, attributes)
            }
        case .globalAveragePool:
            add("GlobalAveragePool", [try x()], out)
        case .reduceMean(let axes, let keepDims):
            if opset >= 18 {
                add("ReduceMean", [try x()] + (axes.isEmpty ? [] : [ints("\(name).axes", axes)]), out, [("keepdims", .int(keepDims ? 1 : 0))])
            } else {
                add("ReduceMean", [try x()], out, (axes.isEmpty ? [] : [("axes", .ints(axes.map { Int64($0) }))]) + [("keepdims", .int(keepDims ? 1 : 0))])
            }
        case .dense:
            let layer = options.layerNames[node.name]
            let hasBias = node.inputs.count > 2 && !node.inputs[2].isEmpty
            if inputShape.count == 2 {
                var inputs = [try x(), try value(node.inputs[1], preferred: layer.map { "\($0).weight" })]
                if hasBias { inputs.append(try value(node.inputs[2], preferred: layer.map { "\($0).bias" })) }
                add("Gemm", inputs, out, [("transB", .int(1))])
            } else {
                guard let w = graph.constants[node.inputs[1]] else { throw .unsupported(node: node.name, detail: "the dense weight is not a constant") }
                // MatMul takes [K, O]: the IR's [O, K] transposed once, here.
                let transposed = w.transposed([1, 0])
                let weightName = claim(layer.map { "\($0).weight" } ?? "\(node.inputs[1])_kxo")
                initializers.append(.init(name: weightName, dims: transposed.shape, floats: transposed.data))
                if hasBias {
                    let product = claim("\(out)/matmul")
                    add("MatMul", [try x(), weightName], product, suffix: "matmul")
                    add("Add", [product, try value(node.inputs[2], preferred: layer.map { "\($0).bias" })], out, suffix: "bias")
                } else {
                    add("MatMul", [try x(), weightName], out)
                }
            }
        case .reshape(let target):
            // A leading 1 that is the batch becomes 0 (copy it), so any batch runs.
            var shape = target
            if shape.first == 1, inputShape.first == 1 { shape[0] = 0 }
            add("Reshape", [try x(), ints("\(name).shape", shape)], out)
        case .flatten(let axis):
            add("Flatten", [try x()], out, [("axis", .int(Int64(axis)))])
        case .squeeze(let axes), .unsqueeze(let axes):
            let opType = if case .squeeze = node.op { "Squeeze" } else { "Unsqueeze" }
            if opset >= 13 {
                add(opType, [try x()] + (axes.isEmpty ? [] : [ints("\(name).axes", axes)]), out)
            } else {
                add(opType, [try x()], out, axes.isEmpty ? [] : [("axes", .ints(axes.map { Int64($0) }))])
            }
        case .transpose(let perm):
            add("Transpose", [try x()], out, [("perm", .ints(perm.map { Int64($0) }))])
        case .softmax(let axis, let coerced):
            let rank = inputShape.count
            let last = axis == rank - 1 || axis == -1
            if opset >= 13, coerced, !last {
                throw .unsupported(node: node.name, detail: "a softmax over every axis from \(axis) on is ONNX's Softmax before opset 13; write with --opset 12 or lower")
            }
            if opset < 13, !coerced, !last {
                throw .unsupported(node: node.name, detail: "a softmax over axis \(axis) alone is ONNX's Softmax from opset 13; write with --opset 13 or higher")
            }
            add("Softmax", [try x()], out, [("axis", .int(Int64(axis)))])
        case .binary(let op):
            let opType = ["add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div"][op.rawValue]!
            add(opType, [try x(), try value(node.inputs[1])], out)
        case .identity:
            add("Identity", [try x()], out)
        case .sigmoid:
            add("Sigmoid", [try x()], out)
        case .concat(let axis):
            var inputs: [String] = []
            for input in node.inputs { inputs.append(try value(input)) }
            add("Concat", inputs, out, [("axis", .int(Int64(axis)))])
        }
    }

    /// `Relu`, or `Clip` with its bounds as shared initializers (inputs from opset 11 on, which
    /// runtimes fuse into their ReLU6); an infinite bound is left out.
    mutating func activation(_ a: Activation, input: String, output: String, name: String) throws(ONNXExportError) {
        switch a.canonical {
        case .none:
            nodes.append(.init(name: name, opType: "Identity", inputs: [input], outputs: [output]))
        case .relu:
            nodes.append(.init(name: name, opType: "Relu", inputs: [input], outputs: [output]))
        default:
            let (lower, upper) = a.bounds
            let min = lower.isFinite ? floatScalar("clip_min_\(lower)", lower) : ""
            let max = upper.isFinite ? floatScalar("clip_max_\(upper)", upper) : ""
            nodes.append(.init(name: name, opType: "Clip", inputs: max.isEmpty ? [input, min] : [input, min, max], outputs: [output]))
        }
    }
}
