import FlatBuffers
import MobileNetIR

/// TFLite's `BuiltinOperator` codes mnconvert reads, and their names for messages.
enum TFLiteOps {
    static let add: Int32 = 0, averagePool: Int32 = 1, concatenation: Int32 = 2, conv: Int32 = 3, depthwiseConv: Int32 = 4
    static let dequantize: Int32 = 6, fullyConnected: Int32 = 9, maxPool: Int32 = 17, mul: Int32 = 18, relu: Int32 = 19
    static let reluN1To1: Int32 = 20, relu6: Int32 = 21, reshape: Int32 = 22, softmax: Int32 = 25, pad: Int32 = 34
    static let mean: Int32 = 40, sub: Int32 = 41, div: Int32 = 42, squeeze: Int32 = 43, stridedSlice: Int32 = 45
    static let cast: Int32 = 53, padV2: Int32 = 60, shape: Int32 = 77, pack: Int32 = 83, quantize: Int32 = 114, logistic: Int32 = 14
    static let transpose: Int32 = 39

    static let names: [Int32: String] = [
        0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE",
        9: "FULLY_CONNECTED", 14: "LOGISTIC", 17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 20: "RELU_N1_TO_1", 21: "RELU6",
        22: "RESHAPE", 23: "RESIZE_BILINEAR", 25: "SOFTMAX", 28: "TANH", 32: "CUSTOM", 34: "PAD", 39: "TRANSPOSE", 40: "MEAN",
        41: "SUB", 42: "DIV", 43: "SQUEEZE", 45: "STRIDED_SLICE", 53: "CAST", 60: "PADV2", 77: "SHAPE", 83: "PACK",
        114: "QUANTIZE", 117: "HARD_SWISH",
    ]

    static func name(_ code: Int32) -> String { names[code] ?? "builtin operator \(code)" }
}

extension TFLiteGraphBuilder {
    mutating func convert(_ op: TFLiteModel.Operator, index: Int) throws(TFLiteImportError) {
        guard op.outputs.count >= 1, op.outputs.allSatisfy({ model.tensors.indices.contains($0) }) else {
            throw .invalidGraph(detail: "operator \(index) (\(TFLiteOps.name(op.code))) has no valid output tensor")
        }
        if try evaluateIfShapeArithmetic(op, index: index) { return }
        switch op.code {
        case TFLiteOps.conv: try convertConv(op, index: index, depthwise: false)
        case TFLiteOps.depthwiseConv: try convertConv(op, index: index, depthwise: true)
        case TFLiteOps.averagePool: try convertPool(op, index: index, average: true)
        case TFLiteOps.maxPool: try convertPool(op, index: index, average: false)
        case TFLiteOps.mean: try convertMean(op, index: index)
        case TFLiteOps.reshape: try convertReshape(op, index: index)
        case TFLiteOps.squeeze: try convertSqueeze(op, index: index)
        case TFLiteOps.softmax: try convertSoftmax(op, index: index)
        case TFLiteOps.fullyConnected: try convertFullyConnected(op, index: index)
        case TFLiteOps.pad, TFLiteOps.padV2: try convertPad(op, index: index)
        case TFLiteOps.add: try convertBinary(op, index: index, .add)
        case TFLiteOps.sub: try convertBinary(op, index: index, .sub)
        case TFLiteOps.mul: try convertBinary(op, index: index, .mul)
        case TFLiteOps.div: try convertBinary(op, index: index, .div)
        case TFLiteOps.relu: try convertActivation(op, index: index, .relu)
        case TFLiteOps.relu6: try convertActivation(op, index: index, .relu6)
        case TFLiteOps.reluN1To1: try convertActivation(op, index: index, .clip(min: -1, max: 1))
        case TFLiteOps.dequantize: try convertDequantize(op, index: index)
        case TFLiteOps.logistic:
            let (x, _) = try activationInput(op, index)
            define(op, TFLiteValue(name: emit(outputName(op), .sigmoid, [x.name]), permuted: x.permuted))
        case TFLiteOps.concatenation: try convertConcatenation(op, index: index)
        case TFLiteOps.transpose: try convertTranspose(op, index: index)
        case TFLiteOps.quantize:
            throw .quantized(detail: "operator \(index) quantizes '\(name(op.inputs.first ?? -1))' to \(model.tensors[op.outputs[0]].type?.name ?? "an integer type")")
        default:
            if op.code == 32, let custom = op.customCode { throw .unsupportedOp(index: index, op: "custom operator \(custom)") }
            throw .unsupportedOp(index: index, op: TFLiteOps.name(op.code))
        }
    }

    // MARK: Helpers

    func unsupported(_ op: TFLiteModel.Operator, _ index: Int, _ detail: String) -> TFLiteImportError {
        .unsupportedOptions(index: index, op: TFLiteOps.name(op.code), detail: detail)
    }

    /// The operator's options table, checked to be the kind its code takes (`BuiltinOptions`).
    func options(_ op: TFLiteModel.Operator, _ index: Int, type: UInt8) throws(TFLiteImportError) -> Table? {
        guard let table = op.options else { return nil }
        guard op.optionsType == type else { throw unsupported(op, index, "its options are of kind \(op.optionsType), not \(type)") }
        return table
    }

    /// A field of an options table, or `value` when the table or the field is absent.
    func field<T: FixedWidthInteger>(_ table: Table?, _ id: Int, _ value: T) throws(TFLiteImportError) -> T {
        guard let table else { return value }
        do { return try table.scalar(id, default: value) } catch { throw .corrupt(detail: error.description) }
    }

    /// A `fused_activation_function`.
    func activation(_ code: Int8, _ op: TFLiteModel.Operator, _ index: Int) throws(TFLiteImportError) -> Activation {
        switch code {
        case 0: return .none
        case 1: return .relu
        case 2: return .clip(min: -1, max: 1)
        case 3: return .relu6
        default: throw unsupported(op, index, "fused activation \(code) (TANH or SIGN_BIT) is not supported")
        }
    }

    /// The operator's first output, named after its tensor, holding `value`.
    mutating func define(_ op: TFLiteModel.Operator, _ value: TFLiteValue) { values[op.outputs[0]] = value }

    /// `x` followed by `activation` as its own node, unless there is none.
    mutating func activated(_ x: TFLiteValue, _ activation: Activation, name: String) -> TFLiteValue {
        guard activation != .none else { return x }
        return TFLiteValue(name: emit("\(name)/activation", .activation(activation), [x.name]), permuted: x.permuted)
    }

    func required(_ op: TFLiteModel.Operator, _ position: Int, _ index: Int) throws(TFLiteImportError) -> Int {
        guard let tensor = try operand(op, position, index: index) else { throw unsupported(op, index, "operand \(position) is missing") }
        return tensor
    }

    mutating func weight(_ op: TFLiteModel.Operator, _ position: Int, _ index: Int, rank: Int? = nil) throws(TFLiteImportError) -> Tensor {
        let tensor = try required(op, position, index)
        guard let w = try floatConstant(tensor) else {
            throw unsupported(op, index, "its weight '\(name(tensor))' is computed, not a constant; mnconvert converts models with constant weights")
        }
        if let rank, w.rank != rank { throw .invalidTensor(name: name(tensor), detail: "shape \(w.shape) is not of rank \(rank)") }
        return w
    }

    func outputName(_ op: TFLiteModel.Operator) -> String { model.tensors[op.outputs[0]].name }

    /// A rank-4 activation operand, with its TFLite shape.
    func activationInput(_ op: TFLiteModel.Operator, _ index: Int) throws(TFLiteImportError) -> (TFLiteValue, [Int]) {
        let tensor = try required(op, 0, index)
        let x = try value(tensor, op: index)
        if let type = model.tensors[tensor].type, [.uint8, .int8, .int16].contains(type) {
            throw .quantized(detail: "operator \(index) (\(TFLiteOps.name(op.code))) computes on \(type.name) values")
        }
        return (x, model.tensors[tensor].shape)
    }

    func padding(_ code: Int8, _ op: TFLiteModel.Operator, _ index: Int) throws(TFLiteImportError) -> Padding {
        switch code {
        case 0: return .sameUpper
        case 1: return .explicit([0, 0, 0, 0])
        default: throw unsupported(op, index, "padding \(code) is neither SAME nor VALID")
        }
    }

    // MARK: Convolutions and pooling

    private mutating func convertConv(_ op: TFLiteModel.Operator, index: Int, depthwise: Bool) throws(TFLiteImportError) {
        let (x, shape) = try activationInput(op, index)
        let options = try self.options(op, index, type: depthwise ? 2 : 1)
        let filter = try weight(op, 1, index, rank: 4)
        guard shape.count == 4 else { throw unsupported(op, index, "input shape \(shape) is not NHWC") }
        let channels = shape[3]
        let (kh, kw) = (filter.shape[1], filter.shape[2])
        var groups = 1
        let w: Tensor
        // Field ids: Conv2DOptions padding 0, stride_w 1, stride_h 2, activation 3, dilation_w 4,
        // dilation_h 5; DepthwiseConv2DOptions adds depth_multiplier at 3 and moves the rest by one.
        let activationField = depthwise ? 4 : 3, dilationField = depthwise ? 5 : 4
        if depthwise {
            // [1, kH, kW, C * M] -> [C * M, 1, kH, kW]: output channel c * M + m reads input channel c.
            let outputs = filter.shape[3]
            guard filter.shape[0] == 1, channels > 0, outputs % channels == 0 else {
                throw unsupported(op, index, "depthwise filter \(filter.shape) does not fit \(channels) input channels")
            }
            let multiplier = outputs / channels
            let declared = try field(options, 3, Int32(0))
            guard declared == 0 || Int(declared) == multiplier else {
                throw unsupported(op, index, "depth_multiplier \(declared) disagrees with the filter (\(outputs) channels for \(channels) inputs)")
            }
            w = Tensor(shape: [outputs, 1, kh, kw], data: Tensor(shape: [kh * kw, outputs], data: filter.data).transposed([1, 0]).data)
            groups = channels
        } else {
            // OHWI -> OIHW.
            let perGroup = filter.shape[3]
            guard perGroup > 0, channels % perGroup == 0 else {
                throw unsupported(op, index, "filter \(filter.shape) does not fit \(channels) input channels")
            }
            w = filter.transposed([0, 3, 1, 2])
            groups = channels / perGroup
        }
        let strides = [Int(try field(options, 2, Int32(1))), Int(try field(options, 1, Int32(1)))]
        let dilations = [Int(try field(options, dilationField + 1, Int32(1))), Int(try field(options, dilationField, Int32(1)))]
        guard (strides + dilations).allSatisfy({ $0 >= 1 && $0 <= 1 << 16 }) else {
            throw unsupported(op, index, "strides \(strides) and dilations \(dilations) must be positive")
        }
        let conv = Conv2D(stride: strides, padding: try padding(try field(options, 0, Int8(0)), op, index),
                          dilation: dilations, groups: groups,
                          activation: try activation(try field(options, activationField, Int8(0)), op, index))
        let name = outputName(op)
        var inputs = [nchw(x, for: name), addConstant(w, name: "\(name)/weight")]
        if let biasIndex = try operand(op, 2, index: index) {
            guard let bias = try floatConstant(biasIndex), bias.count == w.shape[0] else {
                throw unsupported(op, index, "its bias '\(self.name(biasIndex))' is not a constant of \(w.shape[0]) values")
            }
            inputs.append(addConstant(Tensor(shape: [bias.count], data: bias.data), name: "\(name)/bias"))
        }
        define(op, TFLiteValue(name: emit(name, .conv2d(conv), inputs), permuted: true))
    }

    private mutating func convertPool(_ op: TFLiteModel.Operator, index: Int, average: Bool) throws(TFLiteImportError) {
        let (x, shape) = try activationInput(op, index)
        guard shape.count == 4 else { throw unsupported(op, index, "input shape \(shape) is not NHWC") }
        let options = try self.options(op, index, type: 5)
        // Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4, activation 5.
        let kernel = [Int(try field(options, 4, Int32(0))), Int(try field(options, 3, Int32(0)))]
        let stride = [Int(try field(options, 2, Int32(0))), Int(try field(options, 1, Int32(0)))]
        guard (kernel + stride).allSatisfy({ $0 >= 1 && $0 <= 1 << 16 }) else {
            throw unsupported(op, index, "window \(kernel) and strides \(stride) must be positive")
        }
        let pool = Pool(kernel: kernel, stride: stride, padding: try padding(try field(options, 0, Int8(0)), op, index))
        let name = outputName(op)
        let pooled = TFLiteValue(name: emit(name, average ? .averagePool(pool) : .maxPool(pool), [nchw(x, for: name)]), permuted: true)
        define(op, activated(pooled, try activation(try field(options, 5, Int8(0)), op, index), name: name))
    }

    // MARK: Reductions and shapes

    private mutating func convertMean(_ op: TFLiteModel.Operator, index: Int) throws(TFLiteImportError) {
        let (x, shape) = try activationInput(op, index)
        guard let axesIndex = try operand(op, 1, index: index), let rawAxes = try integerConstant(axesIndex) else {
            throw unsupported(op, index, "its axes are not a constant")
        }
        let rank = shape.count
        guard rawAxes.allSatisfy({ $0 >= -Int64(rank) && $0 < Int64(rank) }) else { throw unsupported(op, index, "axes \(rawAxes) are outside rank \(rank)") }
        let axes = Set(rawAxes.map { Int($0 < 0 ? $0 + Int64(rank) : $0) })
        let keepDims = try field(try options(op, index, type: 27), 0, UInt8(0)) != 0
        let name = outputName(op)
        if x.permuted, axes == [1, 2], keepDims {
            define(op, TFLiteValue(name: emit(name, .globalAveragePool, [x.name]), permuted: true))
            return
        }
        let source = x.permuted && !TensorLayout.nhwc.keepsOrder(removing: axes.map(TensorLayout.nhwc.nchwAxis)) ? tfliteLayout(x, for: name) : x
        let irAxes = source.permuted ? axes.map(TensorLayout.nhwc.nchwAxis).sorted() : axes.sorted()
        define(op, TFLiteValue(name: emit(name, .reduceMean(axes: irAxes, keepDims: keepDims), [source.name]), permuted: source.permuted && keepDims))
    }

    private mutating func convertReshape(_ op: TFLiteModel.Operator, index: Int) throws(TFLiteImportError) {
        let (x0, _) = try activationInput(op, index)
        let name = outputName(op)
        let x = tfliteLayout(x0, for: name)
        let output = model.tensors[op.outputs[0]]
        var target: [Int]?
        if let shapeIndex = try operand(op, 1, index: index) {
            if let elements = shapeValues[shapeIndex] {
                target = ShapeElement.reshapeTarget(elements, input: x.name)
            } else if let known = try integerConstant(shapeIndex) {
                target = known.map { Int(clamping: $0) }
            }
        } else if let table = try options(op, index, type: 17), let shape = try? table.vector(0, elementSize: 4) {
            target = (try? shape.scalars(Int32.self))?.map(Int.init)
        } else {
            target = output.shape
        }
        guard var target, target.allSatisfy({ $0 >= -1 && $0 != 0 }), target.filter({ $0 == -1 }).count <= 1 else {
            throw unsupported(op, index, "its target shape is neither a constant nor computed from the input's shape")
        }
        // The converter writes a dynamic batch's reshape target with 1 where the batch goes.
        if let signature = output.signature, signature.first == -1, target.first == 1, !target.contains(-1) { target[0] = 0 }
        define(op, TFLiteValue(name: emit(name, .reshape(shape: target), [x.name]), permuted: false))
    }

    private mutating func convertSqueeze(_ op: TFLiteModel.Operator, index: Int) throws(TFLiteImportError) {
        let (x, shape) = try activationInput(op, index)
        let table = try options(op, index, type: 30)
        var axes: [Int] = []
        if let table, let list = try? table.vector(0, elementSize: 4) { axes = ((try? list.scalars(Int32.self)) ?? []).map(Int.init) }
        let rank = shape.count
        if axes.isEmpty { axes = shape.indices.filter { shape[$0] == 1 } }
        guard axes.allSatisfy({ $0 >= -rank && $0 < rank }) else { throw unsupported(op, index, "axes \(axes) are outside rank \(rank)") }
        axes = axes.map { $0 < 0 ? $0 + rank : $0 }
        let name = outputName(op)
        let source = x.permuted && !TensorLayout.nhwc.keepsOrder(removing: axes.map(TensorLayout.nhwc.nchwAxis)) ? tfliteLayout(x, for: name) : x
        let irAxes = source.permuted ? axes.map(TensorLayout.nhwc.nchwAxis).sorted() : axes.sorted()
        define(op, TFLiteValue(name: emit(name, .squeeze(axes: irAxes), [source.name]), permuted: false))
    }

    private mutating func convertSoftmax(_ op: TFLiteModel.Operator, index: Int) throws(TFLiteImportError) {
        let (x0, _) = try activationInput(op, index)
        var beta: Float = 0
        if let table = try self.options(op, index, type: 9) {
            do { beta = try table.float(0, default: 0) } catch { throw .corrupt(detail: error.description) }
        }
        guard beta == 1 else { throw unsupported(op, index, "beta \(beta) is not 1") }
        let name = outputName(op)
        let x = tfliteLayout(x0, for: name)
        define(op, TFLiteValue(name: emit(name, .softmax(axis: -1, coerced: false), [x.name]), permuted: false))
    }

    private mutating func convertFullyConnected(_ op: TFLiteModel.Operator, index: Int) throws(TFLiteImportError) {
        let (x0, shape) = try activationInput(op, index)
        let options = try self.options(op, index, type: 8)
        guard try field(options, 1, Int8(0)) == 0 else { throw unsupported(op, index, "shuffled weights are not supported") }
        let keepDims = try field(options, 2, UInt8(0)) != 0
        let w = try weight(op, 1, index, rank: 2)
        let name = outputName(op)
        var x = tfliteLayout(x0, for: name)
        if !keepDims && shape.count != 2 {
            x = TFLiteValue(name: emit("\(name)/flatten", .reshape(shape: [-1, w.shape[1]]), [x.name]), permuted: false)
        }
        var inputs = [x.name, addConstant(w, name: "\(name)/weight")]
        if let biasIndex = try operand(op, 2, index: index) {
            guard let bias = try floatConstant(biasIndex), bias.count == w.shape[0] else {
                throw unsupported(op, index, "its bias '\(self.name(biasIndex))' is not a constant of \(w.shape[0]) values")
            }
            inputs.append(addConstant(Tensor(shape: [bias.count], data: bias.data), name: "\(name)/bias"))
        }
        let dense = TFLiteValue(name: emit(name, .dense, inputs), permuted: false)
        define(op, activated(dense, try activation(try field(options, 0, Int8(0)), op, index), name: name))
    }

    // MARK: Element-wise

    private mutating func convertPad(_ op: TFLiteModel.Operator, index: Int) throws(TFLiteImportError) {
        let (x, shape) = try activationInput(op, index)
        let rank = shape.count
        guard let padsIndex = try operand(op, 1, index: index), let pairs = try integerConstant(padsIndex), pairs.count == 2 * rank,
              pairs.allSatisfy({ $0 >= 0 && $0 <= 1 << 16 }) else {
            throw unsupported(op, index, "its paddings are not a constant [\(rank), 2] of non-negative counts")
        }
        var value: Float = 0
        if op.code == TFLiteOps.padV2, let valueIndex = try operand(op, 2, index: index) {
            guard let v = try floatConstant(valueIndex), v.count == 1 else { throw unsupported(op, index, "its constant value is not one number") }
            value = v.data[0]
        }
        // TFLite's [[begin, end] per axis] -> IR begins, then ends, in the value's axis order.
        let order = x.permuted ? (0..<rank).map(TensorLayout.nhwc.axis(ofNCHW:)) : Array(0..<rank)
        let pads = order.map { Int(pairs[2 * $0]) } + order.map { Int(pairs[2 * $0 + 1]) }
        define(op, TFLiteValue(name: emit(outputName(op), .pad(pads: pads, value: value), [x.name]), permuted: x.permuted))
    }

    private mutating func convertActivation(_ op: TFLiteModel.Operator, index: Int, _ activation: Activation) throws(TFLiteImportError) {
        let (x, _) = try activationInput(op, index)
        define(op, TFLiteValue(name: emit(outputName(op), .activation(activation), [x.name]), permuted: x.permuted))
    }

    /// Arithmetic with numpy broadcasting: a constant operand is rearranged to the data's layout,
    /// two data operands are brought to one layout first.
    private mutating func convertBinary(_ op: TFLiteModel.Operator, index: Int, _ binary: BinaryOp) throws(TFLiteImportError) {
        let a = try required(op, 0, index), b = try required(op, 1, index)
        let name = outputName(op)
        var operands: [String] = []
        var permuted = false
        if values[a] == nil || values[b] == nil {
            let (data, constant) = values[a] != nil ? (a, b) : (b, a)
            let x = try value(data, op: index)
            guard let c = try floatConstant(constant) else { throw .invalidGraph(detail: "operator \(index) reads '\(self.name(constant))' before any operator writes it") }
            var aligned = c
            if x.permuted, c.rank <= 4 {
                aligned = Tensor(shape: Array(repeating: 1, count: 4 - c.rank) + c.shape, data: c.data).transposed([0, 3, 1, 2])
            }
            let k = addConstant(aligned, name: "\(name)/\(data == a ? "b" : "a")")
            operands = data == a ? [x.name, k] : [k, x.name]
            permuted = x.permuted
        } else {
            let x = try value(a, op: index), y = try value(b, op: index)
            if x.permuted == y.permuted {
                operands = [x.name, y.name]
                permuted = x.permuted
            } else {
                operands = [tfliteLayout(x, for: name).name, tfliteLayout(y, for: name).name]
            }
        }
        let options = op.options == nil ? nil : try self.options(op, index, type: op.optionsType)
        let fused = [TFLiteOps.add, TFLiteOps.sub, TFLiteOps.mul, TFLiteOps.div].contains(op.code) ? try field(options, 0, Int8(0)) : 0
        let result = TFLiteValue(name: emit(name, .binary(binary), operands), permuted: permuted)
        define(op, activated(result, try activation(fused, op, index), name: name))
    }

    /// TRANSPOSE by a constant permutation, of the value in TFLite's layout; a rank-4 one that
    /// undoes the NHWC holding (`[0, 3, 1, 2]` of a held value) costs nothing.
    private mutating func convertTranspose(_ op: TFLiteModel.Operator, index: Int) throws(TFLiteImportError) {
        let (x0, shape) = try activationInput(op, index)
        guard let permIndex = try operand(op, 1, index: index), let raw = try integerConstant(permIndex),
              raw.count == shape.count, Set(raw) == Set((0..<Int64(shape.count)).map { $0 }) else {
            throw unsupported(op, index, "its permutation is not a constant permutation of \(shape.count) axes")
        }
        let perm = raw.map { Int($0) }
        let name = outputName(op)
        if x0.permuted, perm == [0, 3, 1, 2] {
            define(op, TFLiteValue(name: emit(name, .identity, [x0.name]), permuted: false))
            return
        }
        let x = tfliteLayout(x0, for: name)
        define(op, TFLiteValue(name: emit(name, .transpose(perm: perm), [x.name]), permuted: false))
    }

    /// CONCATENATION of computed values (a detector joining its heads), in TFLite's layout unless
    /// every input is held permuted.
    private mutating func convertConcatenation(_ op: TFLiteModel.Operator, index: Int) throws(TFLiteImportError) {
        let options = try self.options(op, index, type: 10)
        let axis = Int(try field(options, 0, Int32(0)))
        var parts: [TFLiteValue] = []
        for position in op.inputs.indices { parts.append(try value(try required(op, position, index), op: index)) }
        let rank = model.tensors[op.outputs[0]].shape.count
        guard axis >= -rank, axis < rank else { throw unsupported(op, index, "axis \(axis) is outside rank \(rank)") }
        let a = axis < 0 ? axis + rank : axis
        let permuted = rank == 4 && parts.allSatisfy(\.permuted)
        let name = outputName(op)
        var names: [String] = []
        for part in parts { names.append(permuted ? part.name : tfliteLayout(part, for: name).name) }
        let joined = TFLiteValue(name: emit(name, .concat(axis: permuted ? TensorLayout.nhwc.nchwAxis(a) : a), names), permuted: permuted)
        define(op, activated(joined, try activation(try field(options, 1, Int8(0)), op, index), name: name))
    }

    /// DEQUANTIZE of a constant (float16 or int8 weights) is folded: its output is the float32
    /// constant TFLite computes once, before inference.
    private mutating func convertDequantize(_ op: TFLiteModel.Operator, index: Int) throws(TFLiteImportError) {
        let input = try required(op, 0, index)
        guard values[input] == nil, let constant = try floatConstant(input) else {
            throw .quantized(detail: "operator \(index) dequantizes the computed values of '\(name(input))'")
        }
        floatConstants[op.outputs[0]] = constant
    }
}
