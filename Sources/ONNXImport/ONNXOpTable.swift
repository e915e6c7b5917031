import MobileNetIR
import ProtobufFormats

/// The ONNX op table: how each supported ONNX op becomes IR, for opsets 6 to 21.
///
/// Attribute defaults are ONNX's. Where an op changed between opsets, the branch names the opset at
/// which it changed. Anything mnconvert cannot reproduce exactly is an error, never an approximation.
extension ONNXGraphBuilder {
    mutating func convert(_ node: ONNXNode) throws(ONNXImportError) {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw .unsupportedOp(node: node.displayName, opType: "\(node.domain).\(node.opType)", opset: opset)
        }
        guard let first = node.outputs.first, !first.isEmpty else {
            throw .invalidNode(node: node.displayName, opType: node.opType, detail: "has no output")
        }
        if isShapeArithmetic(node) {
            try convertShapeArithmetic(node)
            return
        }
        switch node.opType {
        case "Constant": try convertConstant(node)
        case "Conv": try convertConv(node)
        case "BatchNormalization": try convertBatchNorm(node)
        case "Relu": emit(node, .activation(.relu), inputs: [try input(node, 0)])
        case "Clip": try convertClip(node)
        case "Pad": try convertPad(node)
        case "AveragePool": try convertPool(node, average: true)
        case "MaxPool": try convertPool(node, average: false)
        case "GlobalAveragePool": emit(node, .globalAveragePool, inputs: [try input(node, 0)])
        case "ReduceMean": try convertReduceMean(node)
        case "Gemm": try convertGemm(node)
        case "MatMul": try convertMatMul(node)
        case "Flatten": emit(node, .flatten(axis: try int(node, "axis", default: 1)), inputs: [try input(node, 0)])
        case "Reshape": try convertReshape(node)
        case "Squeeze": try convertSqueeze(node, unsqueeze: false)
        case "Unsqueeze": try convertSqueeze(node, unsqueeze: true)
        case "Transpose": try convertTranspose(node)
        case "Softmax": try convertSoftmax(node)
        case "Identity": emit(node, .identity, inputs: [try input(node, 0)])
        case "Cast": try convertCast(node)
        case "Dropout": try convertDropout(node)
        case "Sigmoid": emit(node, .sigmoid, inputs: [try input(node, 0)])
        case "Concat": try convertConcat(node)
        case "Add": try convertBinary(node, .add)
        case "Sub": try convertBinary(node, .sub)
        case "Mul": try convertBinary(node, .mul)
        case "Div": try convertBinary(node, .div)
        default:
            throw .unsupportedOp(node: node.displayName, opType: node.opType, opset: opset)
        }
    }

    // MARK: Ops

    private mutating func convertConstant(_ node: ONNXNode) throws(ONNXImportError) {
        let name = node.outputs[0]
        switch node.attributes.first(where: { $0.key.hasPrefix("value") }) {
        case (_, .tensor(var tensor))?:
            tensor.name = name
            try addConstant(tensor, as: name)
        case ("value_float", .float(let v))?: try addConstant(ProtoTensor(name: name, shape: [], values: .float([v])), as: name)
        case ("value_floats", .floats(let v))?: try addConstant(ProtoTensor(name: name, shape: [v.count], values: .float(v)), as: name)
        case ("value_int", .int(let v))?: try addConstant(ProtoTensor(name: name, shape: [], values: .int64([v])), as: name)
        case ("value_ints", .ints(let v))?: try addConstant(ProtoTensor(name: name, shape: [v.count], values: .int64(v)), as: name)
        default:
            throw .unsupportedAttribute(node: node.displayName, opType: "Constant", detail: "only tensor, float and int values are supported")
        }
    }

    private mutating func convertConv(_ node: ONNXNode) throws(ONNXImportError) {
        let x = try input(node, 0), w = try input(node, 1)
        if let weight = constants[w], weight.rank != 4 {
            throw .unsupportedAttribute(node: node.displayName, opType: "Conv", detail: "only 2-D convolutions are supported (weight \(weight.shape))")
        }
        let kernel = try ints(node, "kernel_shape") ?? constants[w].map { Array($0.shape[2...]) } ?? [1, 1]
        let padding = try spatialPadding(node, kernel: kernel)
        let conv = Conv2D(stride: try pair(node, "strides"), padding: padding, dilation: try pair(node, "dilations"),
                          groups: try int(node, "group", default: 1))
        emit(node, .conv2d(conv), inputs: [x, w] + optionalInputs(node, from: 2, upTo: 3))
    }

    private mutating func convertBatchNorm(_ node: ONNXNode) throws(ONNXImportError) {
        if opset < 7, try int(node, "is_test", default: 0) == 0 {
            throw .unsupportedAttribute(node: node.displayName, opType: "BatchNormalization",
                                        detail: "is_test = 0 is training mode, which has no faithful inference form")
        }
        if opset < 9, try int(node, "spatial", default: 1) != 1 {
            throw .unsupportedAttribute(node: node.displayName, opType: "BatchNormalization", detail: "spatial = 0 is not supported")
        }
        if try int(node, "training_mode", default: 0) != 0 || node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw .unsupportedAttribute(node: node.displayName, opType: "BatchNormalization",
                                        detail: "training mode (running statistics as outputs) cannot be converted for inference")
        }
        let inputs = try (0..<5).map { (i) throws(ONNXImportError) in try input(node, i) }
        emit(node, .batchNorm(epsilon: try float(node, "epsilon", default: 1e-5)), inputs: inputs)
    }

    private mutating func convertClip(_ node: ONNXNode) throws(ONNXImportError) {
        var lower = -Float.greatestFiniteMagnitude, upper = Float.greatestFiniteMagnitude
        if opset < 11 {
            lower = try float(node, "min", default: lower)
            upper = try float(node, "max", default: upper)
        } else {
            lower = try constantScalar(node, 1) ?? lower
            upper = try constantScalar(node, 2) ?? upper
        }
        if lower == -.greatestFiniteMagnitude { lower = -.infinity }
        if upper == .greatestFiniteMagnitude { upper = .infinity }
        emit(node, .activation(Activation.clip(min: lower, max: upper).canonical), inputs: [try input(node, 0)])
    }

    private mutating func convertPad(_ node: ONNXNode) throws(ONNXImportError) {
        let mode = try stringAttribute(node, "mode", default: "constant")
        guard mode == "constant" else {
            throw .unsupportedAttribute(node: node.displayName, opType: "Pad", detail: "mode '\(mode)' is not supported (only constant padding)")
        }
        let pads: [Int], value: Float
        if opset < 11 {
            let named = try ints(node, "pads"), legacy = try ints(node, "paddings")
            guard let p = named ?? legacy else {
                throw .invalidNode(node: node.displayName, opType: "Pad", detail: "has no pads")
            }
            pads = p
            value = try float(node, "value", default: 0)
        } else {
            guard let p = try constantInts(node, 1) else {
                throw .invalidNode(node: node.displayName, opType: "Pad", detail: "has no pads input")
            }
            if node.inputs.count > 3, !node.inputs[3].isEmpty {
                throw .unsupportedAttribute(node: node.displayName, opType: "Pad", detail: "the axes input is not supported")
            }
            pads = p
            value = try constantScalar(node, 2) ?? 0
        }
        guard pads.count % 2 == 0 else { throw .invalidNode(node: node.displayName, opType: "Pad", detail: "odd number of pads \(pads)") }
        emit(node, .pad(pads: pads, value: value), inputs: [try input(node, 0)])
    }

    private mutating func convertPool(_ node: ONNXNode, average: Bool) throws(ONNXImportError) {
        let opType = node.opType
        guard let kernel = try ints(node, "kernel_shape"), kernel.count == 2 else {
            throw .unsupportedAttribute(node: node.displayName, opType: opType, detail: "only 2-D pooling with a kernel_shape is supported")
        }
        if let dilations = try ints(node, "dilations"), dilations.contains(where: { $0 != 1 }) {
            throw .unsupportedAttribute(node: node.displayName, opType: opType, detail: "dilated pooling is not supported")
        }
        if !average, node.outputs.count > 1, !node.outputs[1].isEmpty {
            throw .unsupportedAttribute(node: node.displayName, opType: opType, detail: "the Indices output is not supported")
        }
        let pool = Pool(kernel: kernel, stride: try pair(node, "strides"), padding: try spatialPadding(node, kernel: kernel),
                        countIncludePad: try int(node, "count_include_pad", default: 0) != 0,
                        ceilMode: try int(node, "ceil_mode", default: 0) != 0)
        emit(node, average ? .averagePool(pool) : .maxPool(pool), inputs: [try input(node, 0)])
    }

    private mutating func convertReduceMean(_ node: ONNXNode) throws(ONNXImportError) {
        let axes = opset < 18 ? try ints(node, "axes") : try constantInts(node, 1)
        if (axes ?? []).isEmpty, try int(node, "noop_with_empty_axes", default: 0) != 0 {
            emit(node, .identity, inputs: [try input(node, 0)])
            return
        }
        emit(node, .reduceMean(axes: axes ?? [], keepDims: try int(node, "keepdims", default: 1) != 0), inputs: [try input(node, 0)])
    }

    /// `Y = alpha * A' * B' + beta * C` becomes `dense` with weight `[N, K]`: alpha is folded into
    /// the weight and beta into the bias, both constant, so no arithmetic is added to the graph.
    private mutating func convertGemm(_ node: ONNXNode) throws(ONNXImportError) {
        var a = try input(node, 0)
        let b = try input(node, 1)
        let alpha = try float(node, "alpha", default: 1), beta = try float(node, "beta", default: 1)
        let transB = try int(node, "transB", default: 0) != 0
        if try int(node, "transA", default: 0) != 0 {
            a = emitIntermediate(node, .transpose(perm: [1, 0]), inputs: [a], suffix: "transA")
        }
        var weight = b
        if let w = constants[b], w.rank == 2 {
            var t = transB ? w : w.transposed([1, 0])
            if alpha != 1 { t.data = t.data.map { $0 * alpha } }
            weight = freshName("\(b)/dense_weight")
            constants[weight] = t
        } else {
            guard alpha == 1 else {
                throw .unsupportedAttribute(node: node.displayName, opType: "Gemm", detail: "alpha != 1 needs a constant B")
            }
            if !transB { weight = emitIntermediate(node, .transpose(perm: [1, 0]), inputs: [b], suffix: "transB") }
        }
        let outputs = weightRows(weight)
        var bias = ""
        var addAfter: String?
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            let c = node.inputs[2]
            if let cTensor = constants[c], let n = outputs, cTensor.count == n || cTensor.count == 1,
               cTensor.shape.dropLast().allSatisfy({ $0 == 1 }) {
                bias = freshName("\(c)/dense_bias")
                let values = cTensor.count == n ? cTensor.data : Array(repeating: cTensor.data[0], count: n)
                constants[bias] = Tensor(shape: [n], data: values.map { $0 * beta })
            } else if beta == 1 {
                addAfter = c
            } else if let cTensor = constants[c] {
                let scaled = freshName("\(c)/scaled")
                constants[scaled] = Tensor(shape: cTensor.shape, data: cTensor.data.map { $0 * beta })
                addAfter = scaled
            } else {
                throw .unsupportedAttribute(node: node.displayName, opType: "Gemm", detail: "beta != 1 needs a constant C")
            }
        }
        if let addend = addAfter {
            let product = emitIntermediate(node, .dense, inputs: [a, weight], suffix: "matmul")
            emit(node, .binary(.add), inputs: [product, addend])
        } else {
            emit(node, .dense, inputs: [a, weight] + (bias.isEmpty ? [] : [bias]))
        }
    }

    /// `A [..., K] x B [K, N]` becomes `dense` with weight `B^T [N, K]`.
    private mutating func convertMatMul(_ node: ONNXNode) throws(ONNXImportError) {
        let a = try input(node, 0), b = try input(node, 1)
        if let w = constants[b] {
            guard w.rank == 2 else {
                throw .unsupportedAttribute(node: node.displayName, opType: "MatMul", detail: "only a rank-2 right operand is supported (got \(w.shape))")
            }
            let weight = freshName("\(b)/dense_weight")
            constants[weight] = w.transposed([1, 0])
            emit(node, .dense, inputs: [a, weight])
        } else {
            let weight = emitIntermediate(node, .transpose(perm: [1, 0]), inputs: [b], suffix: "weight")
            emit(node, .dense, inputs: [a, weight])
        }
    }

    private mutating func convertReshape(_ node: ONNXNode) throws(ONNXImportError) {
        let shape: [Int]
        if opset < 5 {
            guard let s = try ints(node, "shape") else { throw .invalidNode(node: node.displayName, opType: "Reshape", detail: "has no shape") }
            shape = s
        } else {
            let target = try input(node, 1)
            if let computed = shapeValues[target] {
                guard let resolved = ShapeElement.reshapeTarget(computed, input: try input(node, 0)) else {
                    throw .unsupportedAttribute(node: node.displayName, opType: "Reshape",
                                                detail: "a target shape with several dimensions fixed only at run time")
                }
                shape = resolved
            } else if let s = try constantInts(node, 1) {
                shape = s
            } else {
                throw .unsupportedAttribute(node: node.displayName, opType: "Reshape",
                                            detail: "the target shape must be a constant or computed from shapes")
            }
        }
        if try int(node, "allowzero", default: 0) != 0, shape.contains(0) {
            throw .unsupportedAttribute(node: node.displayName, opType: "Reshape", detail: "allowzero with a zero dimension is not supported")
        }
        emit(node, .reshape(shape: shape), inputs: [try input(node, 0)])
    }

    private mutating func convertSqueeze(_ node: ONNXNode, unsqueeze: Bool) throws(ONNXImportError) {
        let axes = opset < 13 ? try ints(node, "axes") : try constantInts(node, 1)
        if unsqueeze {
            guard let axes, !axes.isEmpty else {
                throw .invalidNode(node: node.displayName, opType: node.opType, detail: "has no axes")
            }
            emit(node, .unsqueeze(axes: axes), inputs: [try input(node, 0)])
        } else {
            emit(node, .squeeze(axes: axes ?? []), inputs: [try input(node, 0)])
        }
    }

    private mutating func convertTranspose(_ node: ONNXNode) throws(ONNXImportError) {
        guard let perm = try ints(node, "perm") else {
            throw .unsupportedAttribute(node: node.displayName, opType: "Transpose", detail: "a Transpose without perm is not supported")
        }
        emit(node, .transpose(perm: perm), inputs: [try input(node, 0)])
    }

    /// Before opset 13 Softmax flattens the input to 2-D at `axis` (default 1); from 13 on it works
    /// along the one axis (default -1).
    private mutating func convertSoftmax(_ node: ONNXNode) throws(ONNXImportError) {
        let coerced = opset < 13
        emit(node, .softmax(axis: try int(node, "axis", default: coerced ? 1 : -1), coerced: coerced), inputs: [try input(node, 0)])
    }

    /// A Cast of float data to float is the identity; any other cast of data would change values.
    private mutating func convertCast(_ node: ONNXNode) throws(ONNXImportError) {
        guard try int(node, "to", default: 0) == 1 else {
            throw .unsupportedAttribute(node: node.displayName, opType: "Cast", detail: "only casts to float32 are supported on data")
        }
        emit(node, .identity, inputs: [try input(node, 0)])
    }

    private mutating func convertDropout(_ node: ONNXNode) throws(ONNXImportError) {
        if node.outputs.count > 1, !node.outputs[1].isEmpty, referenced.contains(node.outputs[1]) {
            throw .unsupportedAttribute(node: node.displayName, opType: "Dropout", detail: "the mask output is not supported")
        }
        if opset >= 12, node.inputs.count > 2, !node.inputs[2].isEmpty, try constantScalar(node, 2) != 0 {
            throw .unsupportedAttribute(node: node.displayName, opType: "Dropout", detail: "training_mode = true has no faithful inference form")
        }
        emit(node, .identity, inputs: [try input(node, 0)])
    }

    /// Concat of computed values (a detector joining its heads); on shapes it is evaluated at
    /// import (ONNXShapeArithmetic) before it gets here.
    private mutating func convertConcat(_ node: ONNXNode) throws(ONNXImportError) {
        guard node.attributes["axis"] != nil || opset < 4 else {
            throw .unsupportedAttribute(node: node.displayName, opType: node.opType, detail: "has no axis")
        }
        var inputs: [String] = []
        for index in node.inputs.indices { inputs.append(try input(node, index)) }
        emit(node, .concat(axis: try int(node, "axis", default: 1)), inputs: inputs)
    }

    private mutating func convertBinary(_ node: ONNXNode, _ op: BinaryOp) throws(ONNXImportError) {
        if opset < 7, try int(node, "broadcast", default: 0) != 0, node.attributes["axis"] != nil {
            throw .unsupportedAttribute(node: node.displayName, opType: node.opType,
                                        detail: "legacy broadcasting along an axis (opset < 7) is not supported; re-export with opset 7 or later")
        }
        emit(node, .binary(op), inputs: [try input(node, 0), try input(node, 1)])
    }

    // MARK: Attribute and operand helpers

    func input(_ node: ONNXNode, _ index: Int) throws(ONNXImportError) -> String {
        guard index < node.inputs.count, !node.inputs[index].isEmpty else {
            throw .invalidNode(node: node.displayName, opType: node.opType, detail: "input \(index) is missing")
        }
        return node.inputs[index]
    }

    func optionalInputs(_ node: ONNXNode, from start: Int, upTo end: Int) -> [String] {
        let present = node.inputs.dropFirst(start).prefix(end - start)
        return present.last?.isEmpty == false ? Array(present) : Array(present.prefix { !$0.isEmpty })
    }

    func int(_ node: ONNXNode, _ name: String, default value: Int) throws(ONNXImportError) -> Int {
        guard let attribute = node.attributes[name] else { return value }
        guard case .int(let v) = attribute, let result = Int(exactly: v), abs(result) < 1 << 30 else {
            throw .invalidNode(node: node.displayName, opType: node.opType, detail: "attribute \(name) is not a usable integer")
        }
        return result
    }

    func ints(_ node: ONNXNode, _ name: String) throws(ONNXImportError) -> [Int]? {
        guard let attribute = node.attributes[name] else { return nil }
        guard let values = attribute.ints, values.allSatisfy({ abs($0) < 1 << 30 }) else {
            throw .invalidNode(node: node.displayName, opType: node.opType, detail: "attribute \(name) is not a list of usable integers")
        }
        return values.map { Int($0) }
    }

    func float(_ node: ONNXNode, _ name: String, default value: Float) throws(ONNXImportError) -> Float {
        switch node.attributes[name] {
        case nil: return value
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        default: throw .invalidNode(node: node.displayName, opType: node.opType, detail: "attribute \(name) is not a float")
        }
    }

    func stringAttribute(_ node: ONNXNode, _ name: String, default value: String) throws(ONNXImportError) -> String {
        switch node.attributes[name] {
        case nil: return value
        case .string(let v)?: return v
        default: throw .invalidNode(node: node.displayName, opType: node.opType, detail: "attribute \(name) is not a string")
        }
    }

    /// A two-element attribute such as `strides`, defaulting to `[1, 1]`.
    func pair(_ node: ONNXNode, _ name: String) throws(ONNXImportError) -> [Int] {
        guard let values = try ints(node, name) else { return [1, 1] }
        guard values.count == 2 else {
            throw .unsupportedAttribute(node: node.displayName, opType: node.opType, detail: "\(name) \(values): only 2-D ops are supported")
        }
        return values
    }

    /// `pads` and `auto_pad` as one `Padding`.
    func spatialPadding(_ node: ONNXNode, kernel: [Int]) throws(ONNXImportError) -> Padding {
        switch try stringAttribute(node, "auto_pad", default: "NOTSET") {
        case "SAME_UPPER": return .sameUpper
        case "SAME_LOWER": return .sameLower
        case "VALID": return .explicit([0, 0, 0, 0])
        case "NOTSET", "":
            let pads = try ints(node, "pads") ?? [0, 0, 0, 0]
            guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else {
                throw .unsupportedAttribute(node: node.displayName, opType: node.opType, detail: "pads \(pads): only 2-D ops are supported")
            }
            return .explicit(pads)
        case let other:
            throw .unsupportedAttribute(node: node.displayName, opType: node.opType, detail: "auto_pad '\(other)' is not valid")
        }
    }

    /// An integer input that must be a constant (shapes, pads, axes); nil when the input is absent.
    func constantInts(_ node: ONNXNode, _ index: Int) throws(ONNXImportError) -> [Int]? {
        guard index < node.inputs.count, !node.inputs[index].isEmpty else { return nil }
        guard let values = integerConstants[node.inputs[index]] else {
            throw .unsupportedAttribute(node: node.displayName, opType: node.opType,
                                        detail: "input '\(node.inputs[index])' must be a constant integer tensor")
        }
        guard values.allSatisfy({ abs($0) < 1 << 30 }) else {
            throw .invalidNode(node: node.displayName, opType: node.opType, detail: "input '\(node.inputs[index])' holds out-of-range values")
        }
        return values.map { Int($0) }
    }

    /// A scalar input that must be a constant (Clip bounds, Pad value); nil when absent.
    func constantScalar(_ node: ONNXNode, _ index: Int) throws(ONNXImportError) -> Float? {
        guard index < node.inputs.count, !node.inputs[index].isEmpty else { return nil }
        guard let tensor = constants[node.inputs[index]], tensor.count == 1 else {
            throw .unsupportedAttribute(node: node.displayName, opType: node.opType,
                                        detail: "input '\(node.inputs[index])' must be a constant scalar")
        }
        return tensor.data[0]
    }

    /// The row count of a constant 2-D weight, if it is constant.
    func weightRows(_ name: String) -> Int? { constants[name].map { $0.shape[0] } }
}
