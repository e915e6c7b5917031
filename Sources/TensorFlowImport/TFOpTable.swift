import MobileNetIR
import ProtobufFormats

/// The TensorFlow op table: how each supported op becomes IR.
///
/// Attribute defaults are TensorFlow's (`data_format` NHWC, `epsilon` 1e-4 for FusedBatchNorm,
/// `dilations` 1). Anything that cannot be reproduced exactly is an error.
extension TFGraphBuilder {
    mutating func convert(_ node: TFNode) throws(TensorFlowImportError) {
        if fedNodes.contains(node.name) { return try convertInput(node) }
        if try foldIfConstant(node) { return }
        if try evaluateIfShapeArithmetic(node) { return }
        for input in node.inputs where input.output != 0 {
            let producer = byName[input.node]!
            throw .unsupportedAttribute(node: node.name, op: node.op,
                                        detail: "reads output \(input.output) of '\(input.node)' (\(producer.op)), which mnconvert does not compute")
        }
        switch node.op {
        case "Identity", "StopGradient", "Snapshot", "PlaceholderWithDefault":
            values[node.name] = try data(node, 0)
        case "Placeholder":
            return  // not fed: an error where something reads it (`data` or `weight`)
        case "Conv2D": try convertConv(node, depthwise: false)
        case "DepthwiseConv2dNative": try convertConv(node, depthwise: true)
        case "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3": try convertFusedBatchNorm(node)
        case "BiasAdd": try convertBinary(node, .add)
        case "Add", "AddV2": try convertBinary(node, .add)
        case "Sub": try convertBinary(node, .sub)
        case "Mul": try convertBinary(node, .mul)
        case "RealDiv": try convertBinary(node, .div)
        case "Relu": try convertActivation(node, .relu)
        case "Relu6": try convertActivation(node, .relu6)
        case "Pad", "PadV2": try convertPad(node)
        case "AvgPool": try convertPool(node, average: true)
        case "MaxPool": try convertPool(node, average: false)
        case "Mean": try convertMean(node)
        case "Squeeze": try convertSqueeze(node)
        case "Reshape": try convertReshape(node)
        case "MatMul": try convertMatMul(node)
        case "Softmax": try convertSoftmax(node)
        case "Sigmoid": try convertSigmoid(node)
        case "ConcatV2": try convertConcat(node)
        default: throw .unsupportedOp(node: node.name, op: node.op)
        }
    }

    // MARK: Inputs

    private mutating func convertInput(_ node: TFNode) throws(TensorFlowImportError) {
        var shape: [Int?]?
        if case .shape(let s)? = node.attributes["shape"] { shape = s }
        guard let shape else {
            throw .inputs("input '\(node.name)' has no known shape; mnconvert needs at least its rank")
        }
        let nchwConsumers = byName.values.filter { $0.inputs.contains { $0.node == node.name } }.allSatisfy { dataFormat($0) == "NCHW" }
        if shape.count == 4 && !nchwConsumers {
            graphInputs.append(GraphInput(name: reserve(node.name), shape: shape, layout: .nhwc))
            values[node.name] = TFValue(name: emit(node.name, .transpose(perm: [0, 3, 1, 2]), [node.name], suffix: "to_nchw"), permuted: true)
        } else {
            graphInputs.append(GraphInput(name: reserve(node.name), shape: shape, layout: shape.count == 4 ? .nchw : nil))
            values[node.name] = TFValue(name: node.name, permuted: false)
        }
    }

    // MARK: Convolutions and normalisation

    private mutating func convertConv(_ node: TFNode, depthwise: Bool) throws(TensorFlowImportError) {
        let x = try data(node, 0)
        let filter = try weight(node, 1)
        guard filter.shape.count == 4 else { throw unsupported(node, "filter shape \(filter.shape) is not [kH, kW, in, out]") }
        let nhwc = dataFormat(node) != "NCHW"
        let input = nhwc ? nchw(x, for: node.name) : tfLayout(x, for: node.name).name
        let (kh, kw, cin, cout) = (filter.shape[0], filter.shape[1], filter.shape[2], filter.shape[3])
        let hwio = Tensor(shape: filter.shape, data: filter.floats)
        var groups = 1
        let weightTensor: Tensor
        if depthwise {
            // [kH, kW, C, M] -> [C * M, 1, kH, kW]: output channel c * M + m reads input channel c.
            weightTensor = hwio.transposed([2, 3, 0, 1]).reshaped([cin * cout, 1, kh, kw])
            groups = cin
        } else {
            weightTensor = hwio.transposed([3, 2, 0, 1])
            if let channels = irShape(input)?[1].knownValue, Int(channels) != cin {
                guard channels % Int64(cin) == 0 else { throw unsupported(node, "filter in-channels \(cin) do not divide input channels \(channels)") }
                groups = Int(channels) / cin
            }
        }
        let conv = Conv2D(stride: try spatial(node, "strides", nhwc: nhwc), padding: try padding(node, nhwc: nhwc),
                          dilation: try spatial(node, "dilations", nhwc: nhwc), groups: groups)
        let w = try addConstant(weightTensor, name: "\(node.name)/weight")
        values[node.name] = TFValue(name: emit(node.name, .conv2d(conv), [input, w]), permuted: nhwc)
    }

    private mutating func convertFusedBatchNorm(_ node: TFNode) throws(TensorFlowImportError) {
        if case .bool(true)? = node.attributes["is_training"] {
            throw unsupported(node, "is_training = true normalises with batch statistics; freeze the graph for inference (is_training = false)")
        }
        var epsilon: Float = 1e-4
        if case .float(let e)? = node.attributes["epsilon"] { epsilon = e }
        let x = try data(node, 0)
        let nhwc = dataFormat(node) != "NCHW"
        let input = nhwc ? nchw(x, for: node.name) : tfLayout(x, for: node.name).name
        var parameters: [String] = []
        for (index, role) in ["scale", "offset", "mean", "variance"].enumerated() {
            let tensor = try weight(node, index + 1)
            parameters.append(try addConstant(Tensor(shape: [tensor.count], data: tensor.floats), name: "\(node.name)/\(role)"))
        }
        values[node.name] = TFValue(name: emit(node.name, .batchNorm(epsilon: epsilon), [input] + parameters), permuted: nhwc)
    }

    // MARK: Element-wise

    private mutating func convertActivation(_ node: TFNode, _ activation: Activation) throws(TensorFlowImportError) {
        let x = try data(node, 0)
        values[node.name] = TFValue(name: emit(node.name, .activation(activation), [x.name]), permuted: x.permuted)
    }

    /// Arithmetic with numpy broadcasting. A constant operand is rearranged to the data's layout;
    /// two data operands are brought to one layout first. BiasAdd in NCHW adds along axis 1.
    private mutating func convertBinary(_ node: TFNode, _ op: BinaryOp) throws(TensorFlowImportError) {
        guard node.inputs.count == 2 else { throw unsupported(node, "expects two inputs") }
        if node.op == "BiasAdd", dataFormat(node) == "NCHW", let bias = folded[node.inputs[1].node] {
            let x = tfLayout(try data(node, 0), for: node.name)
            let b = try addConstant(Tensor(shape: [bias.count, 1, 1], data: bias.floats), name: "\(node.name)/bias")
            values[node.name] = TFValue(name: emit(node.name, .binary(.add), [x.name, b]), permuted: false)
            return
        }
        var operands: [TFValue?] = node.inputs.map { values[$0.node] }
        guard let reference = operands.compactMap({ $0 }).first else {
            throw .unsupportedOp(node: node.name, op: "\(node.op) of computed integers")
        }
        if let a = operands[0], let b = operands[1], a.permuted != b.permuted {
            operands = [tfLayout(a, for: node.name), tfLayout(b, for: node.name)]
        }
        var names: [String] = []
        for (index, operand) in operands.enumerated() {
            if let operand { names.append(operand.name); continue }
            guard let constant = folded[node.inputs[index].node] else { throw .missingNode(node: node.name, input: node.inputs[index].node) }
            names.append(try addConstant(aligned(constant, with: reference), name: "\(node.name)/operand\(index)"))
        }
        let permuted = operands.compactMap { $0 }.first!.permuted
        values[node.name] = TFValue(name: emit(node.name, .binary(op), names), permuted: permuted)
    }

    // MARK: Padding and pooling

    private mutating func convertPad(_ node: TFNode) throws(TensorFlowImportError) {
        let x = try data(node, 0)
        guard let paddings = folded[node.inputs[1].node]?.int64s, paddings.count % 2 == 0 else {
            throw .nonConstantWeight(node: node.name, op: node.op, input: node.inputs[1].node)
        }
        var value: Float = 0
        if node.op == "PadV2" { value = try weight(node, 2).floats.first ?? 0 }
        let rank = paddings.count / 2
        // Row r of paddings is [begin, end] of TensorFlow axis r; IR axis j holds TensorFlow axis axis(ofNCHW: j).
        let permute = x.permuted && rank == 4
        var begins: [Int] = [], ends: [Int] = []
        for axis in 0..<rank {
            let tfAxis = permute ? TensorLayout.nhwc.axis(ofNCHW: axis) : axis
            begins.append(Int(paddings[2 * tfAxis]))
            ends.append(Int(paddings[2 * tfAxis + 1]))
        }
        values[node.name] = TFValue(name: emit(node.name, .pad(pads: begins + ends, value: value), [x.name]), permuted: x.permuted)
    }

    private mutating func convertPool(_ node: TFNode, average: Bool) throws(TensorFlowImportError) {
        let x = try data(node, 0)
        let nhwc = dataFormat(node) != "NCHW"
        let input = nhwc ? nchw(x, for: node.name) : tfLayout(x, for: node.name).name
        // TensorFlow's average pooling never counts padded positions.
        let pool = Pool(kernel: try spatial(node, "ksize", nhwc: nhwc), stride: try spatial(node, "strides", nhwc: nhwc),
                        padding: try padding(node, nhwc: nhwc), countIncludePad: false)
        values[node.name] = TFValue(name: emit(node.name, average ? .averagePool(pool) : .maxPool(pool), [input]), permuted: nhwc)
    }

    // MARK: Reductions and shapes

    private mutating func convertMean(_ node: TFNode) throws(TensorFlowImportError) {
        var x = try data(node, 0)
        guard let axes = folded[node.inputs[1].node]?.int64s else {
            throw .nonConstantWeight(node: node.name, op: node.op, input: node.inputs[1].node)
        }
        let keepDims: Bool = if case .bool(true)? = node.attributes["keep_dims"] { true } else { false }
        var irAxes = try normalized(axes, rank: x.permuted ? 4 : nil, node: node)
        if x.permuted {
            let mapped = irAxes.map(TensorLayout.nhwc.nchwAxis)
            if keepDims || TensorLayout.nhwc.keepsOrder(removing: mapped) {
                irAxes = mapped
            } else {
                x = tfLayout(x, for: node.name)
            }
        }
        let op: Op = x.permuted && keepDims && Set(irAxes) == [2, 3] ? .globalAveragePool : .reduceMean(axes: irAxes, keepDims: keepDims)
        values[node.name] = TFValue(name: emit(node.name, op, [x.name]), permuted: x.permuted && keepDims)
    }

    private mutating func convertSqueeze(_ node: TFNode) throws(TensorFlowImportError) {
        var x = try data(node, 0)
        var axes: [Int] = []
        if case .list(let ints, _, _)? = node.attributes["squeeze_dims"] { axes = try normalized(ints, rank: x.permuted ? 4 : nil, node: node) }
        if x.permuted {
            let mapped = axes.map(TensorLayout.nhwc.nchwAxis)
            if !axes.isEmpty, TensorLayout.nhwc.keepsOrder(removing: mapped) { axes = mapped } else { x = tfLayout(x, for: node.name) }
        }
        values[node.name] = TFValue(name: emit(node.name, .squeeze(axes: axes), [x.name]), permuted: false)
    }

    private mutating func convertReshape(_ node: TFNode) throws(TensorFlowImportError) {
        let x = tfLayout(try data(node, 0), for: node.name)
        let target: [Int]
        if let shape = shapeValues[node.inputs[1].node] {
            guard let resolved = ShapeElement.reshapeTarget(shape, input: x.name) else {
                throw unsupported(node, "a target shape with several dimensions fixed only at run time")
            }
            target = resolved
        } else if let constant = folded[node.inputs[1].node]?.int64s {
            target = constant.map { Int($0) }
        } else {
            throw .nonConstantWeight(node: node.name, op: node.op, input: node.inputs[1].node)
        }
        values[node.name] = TFValue(name: emit(node.name, .reshape(shape: target), [x.name]), permuted: false)
    }

    /// `a [M, K] x b [K, N]` with constant `b` becomes `dense` with weight `b^T [N, K]`.
    private mutating func convertMatMul(_ node: TFNode) throws(TensorFlowImportError) {
        var a = tfLayout(try data(node, 0), for: node.name).name
        let b = try weight(node, 1)
        guard b.shape.count == 2 else { throw unsupported(node, "the weight must be a matrix, not \(b.shape)") }
        if case .bool(true)? = node.attributes["transpose_a"] { a = emit(node.name, .transpose(perm: [1, 0]), [a], suffix: "transpose_a") }
        let matrix = Tensor(shape: b.shape, data: b.floats)
        let transposeB: Bool = if case .bool(true)? = node.attributes["transpose_b"] { true } else { false }
        let w = try addConstant(transposeB ? matrix : matrix.transposed([1, 0]), name: "\(node.name)/weight")
        values[node.name] = TFValue(name: emit(node.name, .dense, [a, w]), permuted: false)
    }

    /// TensorFlow's Softmax normalises the last axis: channels, for a permuted value.
    private mutating func convertSigmoid(_ node: TFNode) throws(TensorFlowImportError) {
        let x = try data(node, 0)
        values[node.name] = TFValue(name: emit(node.name, .sigmoid, [x.name]), permuted: x.permuted)
    }

    /// ConcatV2 of computed values (the axis is its last input): in the layout most inputs have,
    /// the axis mapped to it.
    private mutating func convertConcat(_ node: TFNode) throws(TensorFlowImportError) {
        guard node.inputs.count >= 2, let axisTensor = folded[node.inputs.last!.node], let axis = axisTensor.int64s?.first else {
            throw unsupported(node, "its axis is not a constant")
        }
        var parts: [TFValue] = []
        for index in 0..<(node.inputs.count - 1) { parts.append(try data(node, index)) }
        let permuted = parts.allSatisfy(\.permuted)
        var names: [String] = []
        for part in parts { names.append(permuted ? part.name : tfLayout(part, for: node.name).name) }
        var irAxis = Int(axis)
        if permuted {
            guard (-4..<4).contains(irAxis) else { throw unsupported(node, "axis \(axis) is outside rank 4") }
            irAxis = TensorLayout.nhwc.nchwAxis(irAxis < 0 ? irAxis + 4 : irAxis)
        }
        values[node.name] = TFValue(name: emit(node.name, .concat(axis: irAxis), names), permuted: permuted)
    }

    private mutating func convertSoftmax(_ node: TFNode) throws(TensorFlowImportError) {
        let x = try data(node, 0)
        values[node.name] = TFValue(name: emit(node.name, .softmax(axis: x.permuted ? 1 : -1, coerced: false), [x.name]), permuted: x.permuted)
    }

    // MARK: Helpers

    /// The IR value of data input `index`.
    func data(_ node: TFNode, _ index: Int) throws(TensorFlowImportError) -> TFValue {
        guard index < node.inputs.count else { throw unsupported(node, "input \(index) is missing") }
        let input = node.inputs[index].node
        if let value = values[input] { return value }
        if folded[input] != nil { throw unsupported(node, "its data input '\(input)' is a constant; mnconvert converts computations on the model's input") }
        if byName[input]?.op == "Placeholder" {
            throw .inputs("'\(input)' is a Placeholder that '\(node.name)' reads but that is not fed; name it with --input-node")
        }
        throw .missingNode(node: node.name, input: input)
    }

    /// Constant input `index` (a filter, a statistic).
    func weight(_ node: TFNode, _ index: Int) throws(TensorFlowImportError) -> ProtoTensor {
        guard index < node.inputs.count else { throw .nonConstantWeight(node: node.name, op: node.op, input: "(input \(index))") }
        guard let tensor = folded[node.inputs[index].node] else {
            throw .nonConstantWeight(node: node.name, op: node.op, input: node.inputs[index].node)
        }
        return tensor
    }

    func dataFormat(_ node: TFNode) -> String {
        if case .string(let format)? = node.attributes["data_format"] { return format }
        return "NHWC"
    }

    /// The H and W entries of a four-element attribute such as `strides` (default 1).
    func spatial(_ node: TFNode, _ name: String, nhwc: Bool) throws(TensorFlowImportError) -> [Int] {
        guard case .list(let ints, _, _)? = node.attributes[name], !ints.isEmpty else { return [1, 1] }
        guard ints.count == 4, ints.allSatisfy({ $0 >= 1 && $0 < 1 << 20 }) else { throw unsupported(node, "\(name) \(ints) is not four positive numbers") }
        return nhwc ? [Int(ints[1]), Int(ints[2])] : [Int(ints[2]), Int(ints[3])]
    }

    func padding(_ node: TFNode, nhwc: Bool) throws(TensorFlowImportError) -> Padding {
        guard case .string(let mode)? = node.attributes["padding"] else { throw unsupported(node, "has no padding") }
        switch mode {
        case "SAME": return .sameUpper
        case "VALID": return .explicit([0, 0, 0, 0])
        case "EXPLICIT":
            guard case .list(let p, _, _)? = node.attributes["explicit_paddings"], p.count == 8, p.allSatisfy({ $0 >= 0 && $0 < 1 << 20 }) else {
                throw unsupported(node, "EXPLICIT padding without eight explicit_paddings")
            }
            let (h, w) = nhwc ? (2, 4) : (4, 6)
            return .explicit([Int(p[h]), Int(p[w]), Int(p[h + 1]), Int(p[w + 1])])
        default: throw unsupported(node, "padding '\(mode)' is not SAME, VALID or EXPLICIT")
        }
    }

    /// Axes made non-negative, and checked against the rank where it is known (a permuted value,
    /// rank 4): an axis beyond it would index past the axis map.
    func normalized(_ axes: [Int64], rank: Int?, node: TFNode) throws(TensorFlowImportError) -> [Int] {
        try axes.map { (axis) throws(TensorFlowImportError) in
            guard let rank else {
                guard axis >= 0 else { throw unsupported(node, "negative axis \(axis) on a tensor of unknown rank") }
                return Int(axis)
            }
            guard axis >= -Int64(rank), axis < Int64(rank) else { throw unsupported(node, "axis \(axis) is outside rank \(rank)") }
            return Int(axis < 0 ? axis + Int64(rank) : axis)
        }
    }

    func unsupported(_ node: TFNode, _ detail: String) -> TensorFlowImportError {
        .unsupportedAttribute(node: node.name, op: node.op, detail: detail)
    }
}

extension Tensor {
    func reshaped(_ shape: [Int]) -> Tensor { Tensor(shape: shape, data: data) }
}
