import FlatBuffers
import MobileNetIR

/// How each IR op is written as TFLite builtin operators, in NHWC.
extension TFLiteGraphWriter {
    mutating func emit(_ node: Node) throws(TFLiteExportError) {
        let name = displayName(node)
        switch node.op {
        case .conv2d(let conv): try emitConv(node, conv, name: name)
        case .globalAveragePool: try emitMean(node, irAxes: [2, 3], keepDims: true, name: name)
        case .reduceMean(let axes, let keepDims): try emitMean(node, irAxes: axes, keepDims: keepDims, name: name)
        case .averagePool(let pool): try emitPool(node, pool, average: true, name: name)
        case .maxPool(let pool): try emitPool(node, pool, average: false, name: name)
        case .reshape, .flatten, .squeeze, .unsqueeze: try emitReshape(node, name: name)
        case .dense: try emitDense(node, name: name)
        case .softmax(let axis, let coerced): try emitSoftmax(node, axis: axis, coerced: coerced, name: name)
        case .activation(let activation): try emitActivation(node, activation, name: name)
        case .pad(let pads, let value): try emitPad(node, pads: pads, value: value, name: name)
        case .binary(let op): try emitBinary(node, op, name: name)
        case .affine:
            try emitScaleShift(node, scale: try constant(node, 1).data, shift: try constant(node, 2).data, name: name)
        case .batchNorm(let epsilon):
            // y = x * s + (bias - mean * s), s = scale / sqrt(variance + epsilon), in double precision.
            let (scale, bias, mean, variance) = (try constant(node, 1).data, try constant(node, 2).data, try constant(node, 3).data, try constant(node, 4).data)
            let s = zip(scale, variance).map { Double($0) / (Double($1) + Double(epsilon)).squareRoot() }
            try emitScaleShift(node, scale: s.map(Float.init), shift: (0..<s.count).map { Float(Double(bias[$0]) - Double(mean[$0]) * s[$0]) }, name: name)
        case .transpose(let perm): try emitTranspose(node, perm: perm, name: name)
        case .identity: tensorOf[node.output] = try tensor(node.inputs[0])
        case .sigmoid: op(TFLiteOperator.logistic, [try tensor(node.inputs[0])], output: output(node, name: name))
        case .concat(let axis): try emitConcat(node, axis: axis, name: name)
        }
    }

    // MARK: Helpers

    func unsupported(_ node: Node, _ detail: String) -> TFLiteExportError { .unsupported(node: node.name, detail: detail) }

    func constant(_ node: Node, _ index: Int) throws(TFLiteExportError) -> Tensor {
        guard index < node.inputs.count, let tensor = graph.constants[node.inputs[index]] else {
            throw unsupported(node, "operand \(index) is not a constant; TFLite takes it as a weight")
        }
        return tensor
    }

    /// `fused_activation_function`.
    func fused(_ activation: Activation, _ node: Node) throws(TFLiteExportError) -> Int8 {
        switch activation.canonical {
        case .none: return 0
        case .relu: return 1
        case .clip(-1, 1): return 2
        case .relu6: return 3
        default: throw unsupported(node, "activation \(activation) has no TFLite fused form (ReLU, ReLU6, ReLU_N1_TO_1)")
        }
    }

    /// The node's output tensor, NHWC when rank 4, named `name`.
    mutating func output(_ node: Node, name: String) -> Int { activationTensor(node.output, name: name) }

    func rank(_ value: String) -> Int { shapes[value]?.count ?? 0 }

    // MARK: Convolutions and pooling

    /// SAME or VALID when the IR's pads at the declared size equal one of them, else nil.
    func namedPadding(_ pads: [Int], input: [Int], kernel: [Int], stride: [Int], dilation: [Int]) -> Int8? {
        if pads.allSatisfy({ $0 == 0 }) { return 1 }
        if pads == Padding.sameUpper.resolved(inputSize: [input[2], input[3]], kernel: kernel, stride: stride, dilation: dilation) { return 0 }
        return nil
    }

    /// The input of a spatial op whose pads TFLite cannot name: an explicit PAD first.
    mutating func padded(_ node: Node, _ x: Int, pads: [Int], name: String) throws(TFLiteExportError) -> Int {
        guard pads.allSatisfy({ $0 >= 0 }) else { throw unsupported(node, "negative pads \(pads) crop; TFLite pads only") }
        let input = shapes[node.inputs[0]]!
        let shape = [input[0], input[1], input[2] + pads[0] + pads[2], input[3] + pads[1] + pads[3]]
        let out = addTensor(name: "\(name)/pad", shape: nhwc(shape), dynamic: (dynamic[node.inputs[0]] ?? []).count == 4 ? nhwc(dynamic[node.inputs[0]]!) : [])
        let paddings = intTensor("\(name)/paddings", [0, 0, pads[0], pads[2], pads[1], pads[3], 0, 0], shape: [4, 2])
        return op(TFLiteOperator.pad, [x, paddings], output: out, optionsType: TFLiteOperator.padOptions, options: FlatTable())
    }

    private mutating func emitConv(_ node: Node, _ conv: Conv2D, name: String) throws(TFLiteExportError) {
        let input = shapes[node.inputs[0]]!
        let weight = try constant(node, 1)
        guard input.count == 4, weight.rank == 4 else { throw unsupported(node, "is not a 2-D convolution over [N, C, H, W]") }
        let (outputs, kernel) = (weight.shape[0], [weight.shape[2], weight.shape[3]])
        let depthwise = conv.groups == input[1] && conv.groups > 1 && weight.shape[1] == 1
        guard conv.groups == 1 || depthwise else {
            throw unsupported(node, "a grouped convolution (\(conv.groups) groups) is neither plain nor depthwise; TFLite has no grouped convolution")
        }
        let pads = conv.padding.resolved(inputSize: [input[2], input[3]], kernel: kernel, stride: conv.stride, dilation: conv.dilation)
        var x = try tensor(node.inputs[0])
        var padding = namedPadding(pads, input: input, kernel: kernel, stride: conv.stride, dilation: conv.dilation)
        if padding == nil {
            x = try padded(node, x, pads: pads, name: name)
            padding = 1
        }
        let w = depthwise
            // [C * M, 1, kH, kW] -> [1, kH, kW, C * M].
            ? Tensor(shape: [1, kernel[0], kernel[1], outputs], data: Tensor(shape: [outputs, kernel[0] * kernel[1]], data: weight.data).transposed([1, 0]).data)
            : weight.transposed([0, 2, 3, 1])
        let bias = node.inputs.count > 2 && !node.inputs[2].isEmpty ? try constant(node, 2) : Tensor(shape: [outputs], repeating: 0)
        let inputs = [x, floatTensor("\(name)/weight", w), floatTensor("\(name)/bias", Tensor(shape: [outputs], data: bias.data))]
        var options = FlatTable()
        options[0] = .int8(padding!)
        options[1] = .int32(Int32(conv.stride[1]))
        options[2] = .int32(Int32(conv.stride[0]))
        let activation = try fused(conv.activation, node)
        if depthwise {
            options[3] = .int32(Int32(outputs / input[1]))
            options[4] = .int8(activation)
            options[5] = .int32(Int32(conv.dilation[1]))
            options[6] = .int32(Int32(conv.dilation[0]))
        } else {
            options[3] = .int8(activation)
            options[4] = .int32(Int32(conv.dilation[1]))
            options[5] = .int32(Int32(conv.dilation[0]))
        }
        op(depthwise ? TFLiteOperator.depthwiseConv : TFLiteOperator.conv, inputs, output: output(node, name: name),
           optionsType: depthwise ? TFLiteOperator.depthwiseOptions : TFLiteOperator.conv2DOptions, options: options)
    }

    private mutating func emitPool(_ node: Node, _ pool: Pool, average: Bool, name: String) throws(TFLiteExportError) {
        let input = shapes[node.inputs[0]]!, result = shapes[node.output]!
        let pads = pool.padding.resolved(inputSize: [input[2], input[3]], kernel: pool.kernel, stride: pool.stride, dilation: [1, 1])
        guard let padding = namedPadding(pads, input: input, kernel: pool.kernel, stride: pool.stride, dilation: [1, 1]) else {
            throw unsupported(node, "pads \(pads) are neither SAME nor VALID at the declared input size")
        }
        guard !(average && pool.countIncludePad && pads.contains(where: { $0 > 0 })) else {
            throw unsupported(node, "averaging padded positions (count_include_pad) is not what TFLite's AVERAGE_POOL_2D computes")
        }
        // TFLite's output size: SAME ceil(in / stride), VALID floor((in - k) / stride) + 1.
        let expected = (0..<2).map { (axis: Int) -> Int in
            let size = input[axis + 2], stride = pool.stride[axis]
            return padding == 0 ? (size + stride - 1) / stride : (size - pool.kernel[axis]) / stride + 1
        }
        guard expected == [result[2], result[3]] else { throw unsupported(node, "ceil_mode gives an output size TFLite's pooling does not") }
        var options = FlatTable()
        options[0] = .int8(padding)
        options[1] = .int32(Int32(pool.stride[1]))
        options[2] = .int32(Int32(pool.stride[0]))
        options[3] = .int32(Int32(pool.kernel[1]))
        options[4] = .int32(Int32(pool.kernel[0]))
        options[5] = .int8(0)
        op(average ? TFLiteOperator.averagePool : TFLiteOperator.maxPool, [try tensor(node.inputs[0])], output: output(node, name: name),
           optionsType: TFLiteOperator.poolOptions, options: options)
    }

    private mutating func emitMean(_ node: Node, irAxes: [Int], keepDims: Bool, name: String) throws(TFLiteExportError) {
        let r = rank(node.inputs[0])
        let axes = irAxes.map { $0 < 0 ? $0 + r : $0 }
        guard axes.allSatisfy({ $0 >= 0 && $0 < r }) else { throw unsupported(node, "axes \(irAxes) are outside rank \(r)") }
        // Reducing a rank-4 value without keeping its axes changes what the rest's order means.
        if r == 4 && !keepDims {
            guard TensorLayout.nhwc.keepsOrder(removing: axes) else {
                throw unsupported(node, "reducing axes \(irAxes) without keeping them leaves the other axes in another order in NHWC")
            }
        }
        let tfliteAxes = r == 4 ? axes.map(TensorLayout.nhwc.axis(ofNCHW:)).sorted() : axes.sorted()
        var options = FlatTable()
        options[0] = .bool(keepDims)
        let out = r == 4 && !keepDims ? plainTensor(node.output, shape: shapes[node.output]!, name: name) : output(node, name: name)
        tensorOf[node.output] = out
        op(TFLiteOperator.mean, [try tensor(node.inputs[0]), intTensor("\(name)/axes", tfliteAxes)], output: out,
           optionsType: TFLiteOperator.reducerOptions, options: options)
    }

    /// Reshape, flatten, squeeze and unsqueeze: one RESHAPE to the inferred shape, with a
    /// TRANSPOSE on either side where NHWC and NCHW order the elements differently.
    private mutating func emitReshape(_ node: Node, name: String) throws(TFLiteExportError) {
        let source = node.inputs[0]
        var x = try tensor(source)
        let inShape = shapes[source]!, outShape = shapes[node.output]!
        if TensorLayout.differ(for: inShape) {
            x = op(TFLiteOperator.transpose, [x, intTensor("\(name)/to_nchw_perm", [0, 3, 1, 2])],
                   output: plainTensor(source, shape: inShape, name: "\(name)/nchw"))
        }
        let flags = dynamic[node.output] ?? []
        guard flags.filter({ $0 }).count <= 1 else { throw unsupported(node, "more than one dimension follows the batch") }
        let viaNCHW = TensorLayout.differ(for: outShape)
        let target = outShape.count == 4 && !viaNCHW ? nhwc(outShape) : outShape
        let targetFlags = outShape.count == 4 && !viaNCHW && flags.count == 4 ? nhwc(flags) : flags
        let written = zip(target, targetFlags + Array(repeating: false, count: max(0, target.count - targetFlags.count))).map { $1 ? -1 : $0 }
        var options = FlatTable()
        options[0] = .int32s(written.map { Int32($0) })
        let out = viaNCHW || outShape.count != 4 ? plainTensor(node.output, shape: outShape, name: viaNCHW ? "\(name)/nchw" : name) : output(node, name: name)
        op(TFLiteOperator.reshape, [x, intTensor("\(name)/shape", written)], output: out, optionsType: TFLiteOperator.reshapeOptions, options: options)
        tensorOf[node.output] = out
        if viaNCHW {
            op(TFLiteOperator.transpose, [out, intTensor("\(name)/to_nhwc_perm", [0, 2, 3, 1])], output: output(node, name: name))
        }
    }

    private mutating func emitDense(_ node: Node, name: String) throws(TFLiteExportError) {
        let weight = try constant(node, 1)
        guard rank(node.inputs[0]) == 2, weight.rank == 2 else { throw unsupported(node, "a dense layer over a rank-\(rank(node.inputs[0])) value") }
        let bias = node.inputs.count > 2 && !node.inputs[2].isEmpty ? try constant(node, 2) : Tensor(shape: [weight.shape[0]], repeating: 0)
        var options = FlatTable()
        options[0] = .int8(0)
        op(TFLiteOperator.fullyConnected,
           [try tensor(node.inputs[0]), floatTensor("\(name)/weight", weight), floatTensor("\(name)/bias", Tensor(shape: [bias.count], data: bias.data))],
           output: output(node, name: name), optionsType: TFLiteOperator.fullyConnectedOptions, options: options)
    }

    private mutating func emitSoftmax(_ node: Node, axis: Int, coerced: Bool, name: String) throws(TFLiteExportError) {
        let shape = shapes[node.inputs[0]]!, r = shape.count
        let a = axis < 0 ? axis + r : axis
        // TFLite normalises along the last axis of what it holds: C for NHWC.
        let lastInTFLite = r == 4 ? a == 1 && (!coerced || shape[2] * shape[3] == 1) : a == r - 1
        guard lastInTFLite else { throw unsupported(node, "softmax along axis \(axis) of rank \(r) is not along TFLite's last axis") }
        var options = FlatTable()
        options[0] = .float(1)
        op(TFLiteOperator.softmax, [try tensor(node.inputs[0])], output: output(node, name: name),
           optionsType: TFLiteOperator.softmaxOptions, options: options)
    }

    private mutating func emitActivation(_ node: Node, _ activation: Activation, name: String) throws(TFLiteExportError) {
        let code: Int32
        switch try fused(activation, node) {
        case 1: code = TFLiteOperator.relu
        case 2: code = TFLiteOperator.reluN1To1
        case 3: code = TFLiteOperator.relu6
        default:
            tensorOf[node.output] = try tensor(node.inputs[0])
            return
        }
        op(code, [try tensor(node.inputs[0])], output: output(node, name: name))
    }

    private mutating func emitPad(_ node: Node, pads: [Int], value: Float, name: String) throws(TFLiteExportError) {
        let r = rank(node.inputs[0])
        guard pads.count == 2 * r, pads.allSatisfy({ $0 >= 0 }) else { throw unsupported(node, "pads \(pads) crop or do not fit rank \(r)") }
        let order = r == 4 ? TensorLayout.nhwc.fromNCHW : Array(0..<r)
        let paddings = intTensor("\(name)/paddings", order.flatMap { [pads[$0], pads[r + $0]] }, shape: [r, 2])
        var inputs = [try tensor(node.inputs[0]), paddings]
        if value != 0 { inputs.append(floatTensor("\(name)/value", Tensor(shape: [], data: [value]))) }
        op(value == 0 ? TFLiteOperator.pad : TFLiteOperator.padV2, inputs, output: output(node, name: name),
           optionsType: value == 0 ? TFLiteOperator.padOptions : TFLiteOperator.padV2Options, options: FlatTable())
    }

    /// A constant operand of an element-wise op, rearranged to broadcast against NHWC data.
    mutating func broadcastConstant(_ constant: Tensor, against dataRank: Int, name: String) -> Int {
        guard dataRank == 4, constant.rank <= 4 else { return floatTensor(name, constant) }
        let aligned = Tensor(shape: Array(repeating: 1, count: 4 - constant.rank) + constant.shape, data: constant.data)
        return floatTensor(name, aligned.transposed([0, 2, 3, 1]))
    }

    private mutating func emitBinary(_ node: Node, _ binary: BinaryOp, name: String) throws(TFLiteExportError) {
        let codes: [BinaryOp: (Int32, UInt8)] = [.add: (TFLiteOperator.add, TFLiteOperator.addOptions), .sub: (TFLiteOperator.sub, TFLiteOperator.subOptions),
                                                 .mul: (TFLiteOperator.mul, TFLiteOperator.mulOptions), .div: (TFLiteOperator.div, TFLiteOperator.divOptions)]
        guard let (code, optionsType) = codes[binary] else { throw unsupported(node, "\(binary.rawValue) has no TFLite builtin mnconvert writes") }
        let outRank = rank(node.output)
        var inputs: [Int] = []
        for (position, input) in node.inputs.enumerated() {
            if let constant = graph.constants[input] {
                inputs.append(broadcastConstant(constant, against: outRank, name: "\(name)/\(position == 0 ? "a" : "b")"))
            } else {
                guard outRank != 4 || rank(input) == 4 else { throw unsupported(node, "broadcasts a rank-\(rank(input)) value against a rank-4 one") }
                inputs.append(try tensor(input))
            }
        }
        var options = FlatTable()
        options[0] = .int8(0)
        op(code, inputs, output: output(node, name: name), optionsType: optionsType, options: options)
    }

    /// A per-channel `x * scale + shift` (an unfolded affine or BatchNorm) as MUL, then ADD.
    private mutating func emitScaleShift(_ node: Node, scale: [Float], shift: [Float], name: String) throws(TFLiteExportError) {
        let r = rank(node.inputs[0])
        guard r == 4 || r == 2 else { throw unsupported(node, "a per-channel op over rank \(r); TFLite broadcasts along the last axis only") }
        let x = try tensor(node.inputs[0])
        var options = FlatTable()
        options[0] = .int8(0)
        let scaledShape = shapes[node.output]!
        let scaled = addTensor(name: "\(name)/scaled", shape: r == 4 ? nhwc(scaledShape) : scaledShape,
                               dynamic: r == 4 ? nhwc(dynamic[node.output] ?? [false, false, false, false]) : dynamic[node.output] ?? [])
        op(TFLiteOperator.mul, [x, floatTensor("\(name)/scale", Tensor(shape: [scale.count], data: scale))], output: scaled,
           optionsType: TFLiteOperator.mulOptions, options: options)
        op(TFLiteOperator.add, [scaled, floatTensor("\(name)/shift", Tensor(shape: [shift.count], data: shift))], output: output(node, name: name),
           optionsType: TFLiteOperator.addOptions, options: options)
    }

    private mutating func emitConcat(_ node: Node, axis: Int, name: String) throws(TFLiteExportError) {
        let r = rank(node.output)
        let a = axis < 0 ? axis + r : axis
        guard node.inputs.allSatisfy({ rank($0) == r }) else { throw unsupported(node, "joins values of different ranks") }
        var inputs: [Int] = []
        for input in node.inputs { inputs.append(try tensor(input)) }
        var options = FlatTable()
        options[0] = .int32(Int32(r == 4 ? TensorLayout.nhwc.axis(ofNCHW: a) : a))
        options[1] = .int8(0)
        op(TFLiteOperator.concatenation, inputs, output: output(node, name: name), optionsType: TFLiteOperator.concatenationOptions, options: options)
    }

    private mutating func emitTranspose(_ node: Node, perm: [Int], name: String) throws(TFLiteExportError) {
        let r = rank(node.inputs[0])
        let tflitePerm = r == 4 ? (0..<4).map { TensorLayout.nhwc.axis(ofNCHW: perm[TensorLayout.nhwc.nchwAxis($0)]) } : perm
        op(TFLiteOperator.transpose, [try tensor(node.inputs[0]), intTensor("\(name)/perm", tflitePerm)], output: output(node, name: name),
           optionsType: TFLiteOperator.transposeOptions, options: FlatTable())
    }
}
