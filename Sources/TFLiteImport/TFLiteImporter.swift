import FlatBuffers
import MobileNetIR

/// Reads a float TFLite model into the IR.
///
/// ```swift
/// let graph = try TFLiteImporter.importGraph(from: bytes)
/// ```
///
/// The first subgraph is imported (`subgraphCount` in the graph's properties says when there were
/// more). Layouts are converted once, here: filters `[O, kH, kW, I]` (OHWI) become
/// `[O, I, kH, kW]`, depthwise filters `[1, kH, kW, C * M]` become `[C * M, 1, kH, kW]`, and NHWC
/// activations are computed as NCHW (`TFLiteValue`). Weights stored as float16 (behind a
/// `DEQUANTIZE`) or as int8 with per-channel scales (dynamic-range models) are turned into the
/// float32 values TFLite itself computes with. Models that compute on integers are refused.
public enum TFLiteImporter {
    /// The four bytes after the root offset of every TFLite file.
    public static let identifier: [UInt8] = Array("TFL3".utf8)

    public static func importGraph(from bytes: [UInt8]) throws(TFLiteImportError) -> Graph {
        let model: TFLiteModel
        do { model = try TFLiteModel(bytes) } catch { throw .corrupt(detail: error.description) }
        guard model.subgraphCount > 0 else { throw .invalidGraph(detail: "the model has no subgraph") }
        var builder = TFLiteGraphBuilder(model: model)
        return try builder.build()
    }
}

/// A TFLite tensor as the IR holds it: rank-4 activations (NHWC in TFLite) are `permuted`, held as
/// their `(0, 3, 1, 2)` transpose, so TFLite axis `a` is IR axis `TensorLayout.nhwc.nchwAxis(a)`. Other values are
/// held as TFLite has them.
struct TFLiteValue {
    var name: String
    var permuted: Bool
}

/// The state of one import.
struct TFLiteGraphBuilder {
    let model: TFLiteModel
    /// The IR value of every tensor computed so far, by tensor index.
    var values: [Int: TFLiteValue] = [:]
    /// Float constants by tensor index (weights, and DEQUANTIZE outputs folded at import).
    var floatConstants: [Int: Tensor] = [:]
    /// Integer tensors (axes, paddings, shapes) by tensor index, known at import.
    var integers: [Int: [Int64]] = [:]
    /// Shape arithmetic evaluated at import, by tensor index (see TFLiteShapeArithmetic.swift).
    var shapeValues: [Int: [ShapeElement]] = [:]
    var nodes: [Node] = []
    var constants: [String: Tensor] = [:]
    var graphInputs: [GraphInput] = []
    /// How the weights were stored: float32, float16 or int8 (dynamic range).
    var weightForms: Set<String> = []
    private var names = NameTable()

    init(model: TFLiteModel) { self.model = model }

    mutating func build() throws(TFLiteImportError) -> Graph {
        guard !model.inputs.isEmpty else { throw .invalidGraph(detail: "the subgraph has no input") }
        guard !model.outputs.isEmpty else { throw .invalidGraph(detail: "the subgraph has no output") }
        for index in model.inputs + model.outputs where !model.tensors.indices.contains(index) {
            throw .invalidGraph(detail: "the subgraph names tensor \(index) of \(model.tensors.count)")
        }
        for index in model.inputs { try addInput(index) }
        // Outputs keep their tensors' names: reserved first, taken by the last node at the end.
        var outputNames: [String] = []
        for index in model.outputs { outputNames.append(names.claim(model.tensors[index].name)) }
        for (index, op) in model.operators.enumerated() { try convert(op, index: index) }

        for (index, name) in zip(model.outputs, outputNames) {
            guard let value = values[index] else {
                throw .invalidGraph(detail: "output '\(model.tensors[index].name)' is not computed from the input")
            }
            // Returned in TFLite's layout.
            nodes.append(Node(name: name, op: value.permuted ? .transpose(perm: [0, 2, 3, 1]) : .identity, inputs: [value.name], outputs: [name]))
        }
        var properties = ["tflite_schema_version": "\(model.version)", "tflite_weights": weightForms.sorted().joined(separator: "+")]
        if model.subgraphCount > 1 { properties["tflite_subgraphs"] = "\(model.subgraphCount) (the first imported)" }
        for (key, value) in model.metadata where key.hasPrefix("preprocess.") { properties[key] = value }
        let graph = Graph(
            inputs: graphInputs, outputs: outputNames, nodes: nodes, constants: constants,
            metadata: Metadata(sourceFormat: "tflite", producer: model.description.isEmpty ? "TFLite" : model.description,
                               sourceInputLayout: graphInputs.first?.layout ?? nil, properties: properties)
        ).removingUnusedConstants()
        do { try graph.validate() } catch { throw .invalidGraph(detail: error.description) }
        return graph
    }

    // MARK: Inputs

    private mutating func addInput(_ index: Int) throws(TFLiteImportError) {
        let tensor = model.tensors[index]
        guard let type = tensor.type, type == .float32 else {
            if [.uint8, .int8, .int16].contains(tensor.type) {
                throw .quantized(detail: "input '\(tensor.name)' is \(tensor.type!.name)")
            }
            throw .invalidTensor(name: tensor.name, detail: "an input of TensorType \(tensor.rawType); mnconvert reads float32 inputs")
        }
        guard !tensor.shape.isEmpty, tensor.shape.allSatisfy({ $0 >= 1 }) else {
            throw .invalidTensor(name: tensor.name, detail: "input shape \(tensor.shape) has no positive size")
        }
        var shape: [Int?] = tensor.shape
        if let signature = tensor.signature, signature.count == shape.count {
            for (axis, d) in signature.enumerated() where d == -1 { shape[axis] = nil }
        }
        let name = names.claim(tensor.name)
        if shape.count == 4 {
            graphInputs.append(GraphInput(name: name, shape: shape, layout: .nhwc))
            values[index] = TFLiteValue(name: emit("\(name)/to_nchw", .transpose(perm: [0, 3, 1, 2]), [name]), permuted: true)
        } else {
            graphInputs.append(GraphInput(name: name, shape: shape, layout: nil))
            values[index] = TFLiteValue(name: name, permuted: false)
        }
    }

    // MARK: Emitting

    /// Appends an IR node named `name` and returns its (fresh) output name.
    mutating func emit(_ name: String, _ op: Op, _ inputs: [String]) -> String {
        let output = names.claim(name)
        nodes.append(Node(name: output, op: op, inputs: inputs, outputs: [output]))
        return output
    }

    /// Adds an IR constant under a fresh name based on `name`.
    mutating func addConstant(_ tensor: Tensor, name: String) -> String {
        let claimed = names.claim(name)
        constants[claimed] = tensor
        return claimed
    }

    /// The value as NCHW: a permuted value as it is, a rank-4 TFLite-layout one through a transpose.
    mutating func nchw(_ value: TFLiteValue, for node: String) -> String {
        guard !value.permuted else { return value.name }
        return emit("\(node)/to_nchw", .transpose(perm: [0, 3, 1, 2]), [value.name])
    }

    /// The value in TFLite's own layout.
    mutating func tfliteLayout(_ value: TFLiteValue, for node: String) -> TFLiteValue {
        guard value.permuted else { return value }
        return TFLiteValue(name: emit("\(node)/to_nhwc", .transpose(perm: [0, 2, 3, 1]), [value.name]), permuted: false)
    }

    /// The IR shape of a value, as far as it is known at import time.
    func irShape(_ name: String) -> [ShapeElement]? {
        Graph(inputs: graphInputs, outputs: [], nodes: nodes, constants: constants,
              metadata: Metadata(sourceFormat: "tflite", producer: "", sourceInputLayout: nil)).symbolicShape(of: name)
    }

    // MARK: Tensors

    /// The name of a tensor for messages and IR names.
    func name(_ index: Int) -> String { model.tensors.indices.contains(index) ? model.tensors[index].name : "tensor \(index)" }

    /// Operand `position` of operator `op`: a tensor index inside the subgraph, or nil when the
    /// operator has no such operand (or marks it absent with -1).
    func operand(_ op: TFLiteModel.Operator, _ position: Int, index: Int) throws(TFLiteImportError) -> Int? {
        guard position < op.inputs.count, op.inputs[position] >= 0 else { return nil }
        guard model.tensors.indices.contains(op.inputs[position]) else {
            throw .invalidGraph(detail: "operator \(index) reads tensor \(op.inputs[position]) of \(model.tensors.count)")
        }
        return op.inputs[position]
    }

    /// The computed value a tensor holds (not a constant).
    func value(_ tensor: Int, op index: Int) throws(TFLiteImportError) -> TFLiteValue {
        guard let value = values[tensor] else {
            if model.tensors[tensor].data != nil || floatConstants[tensor] != nil {
                throw .unsupportedOptions(index: index, op: TFLiteOps.name(model.operators[index].code),
                                          detail: "its data operand '\(name(tensor))' is a constant; mnconvert converts operators on the input's values")
            }
            throw .invalidGraph(detail: "operator \(index) reads '\(name(tensor))' before any operator writes it")
        }
        return value
    }

    /// A float constant: the tensor's own data (float32, float16, or int8 with scales), or a
    /// DEQUANTIZE output folded at import. Checked for size and finiteness.
    mutating func floatConstant(_ index: Int) throws(TFLiteImportError) -> Tensor? {
        if let folded = floatConstants[index] { return folded }
        let tensor = model.tensors[index]
        guard let range = tensor.data else { return nil }
        guard tensor.shape.allSatisfy({ $0 >= 0 }), let count = checkedElementCount(tensor.shape) else {
            throw .invalidTensor(name: tensor.name, detail: "shape \(tensor.shape) is not a valid size")
        }
        guard let type = tensor.type else {
            throw .invalidTensor(name: tensor.name, detail: "TensorType \(tensor.rawType) is not one mnconvert reads (float32, float16, int8 weights)")
        }
        guard range.count == count * type.width else {
            throw .invalidTensor(name: tensor.name, detail: "\(range.count) bytes of data for shape \(tensor.shape) of \(type.name)")
        }
        let bytes = model.buffer.bytes[range]
        var data: [Float]
        switch type {
        case .float32:
            data = bytes.withUnsafeBytes { raw in
                #if _endian(little)
                [Float](unsafeUninitializedCapacity: count) { out, initialized in
                    UnsafeMutableRawBufferPointer(out).copyMemory(from: raw)
                    initialized = count
                }
                #else
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                #endif
            }
            weightForms.insert("float32")
        case .float16:
            data = bytes.withUnsafeBytes { raw in (0..<count).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))) } }
            weightForms.insert("float16")
        case .int8:
            data = try dequantized(tensor, bytes.map { Int64(Int8(bitPattern: $0)) })
            weightForms.insert("int8")
        case .uint8:
            data = try dequantized(tensor, bytes.map { Int64($0) })
            weightForms.insert("uint8")
        case .int16:
            data = try dequantized(tensor, bytes.withUnsafeBytes { raw in
                (0..<count).map { Int64(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self))) }
            })
            weightForms.insert("int16")
        case .int32, .int64:
            // Sized against the shape above, so every element is there.
            guard let values = try integerConstant(index) else { return nil }
            data = values.map { Float($0) }
        }
        if let bad = data.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteWeight(name: tensor.name, index: bad) }
        let result = Tensor(shape: tensor.shape, data: data)
        floatConstants[index] = result
        return result
    }

    /// `scale[c] * (q - zero_point[c])` along the quantized dimension (one scale: the whole tensor).
    private func dequantized(_ tensor: TFLiteModel.TensorInfo, _ q: [Int64]) throws(TFLiteImportError) -> [Float] {
        let axis = tensor.quantizedDimension
        let channels = tensor.scales.count
        guard channels >= 1 else {
            throw .invalidTensor(name: tensor.name, detail: "integer weights without a quantization scale")
        }
        guard channels == 1 || (axis >= 0 && axis < tensor.shape.count && tensor.shape[axis] == channels),
              tensor.zeroPoints.isEmpty || tensor.zeroPoints.count == channels else {
            throw .invalidTensor(name: tensor.name, detail: "\(channels) scales do not match dimension \(axis) of shape \(tensor.shape)")
        }
        let inner = channels == 1 ? q.count : tensor.shape[(axis + 1)...].reduce(1, *)
        return q.enumerated().map { i, v in
            let c = channels == 1 ? 0 : (i / inner) % channels
            let zero = tensor.zeroPoints.isEmpty ? 0 : tensor.zeroPoints[c]
            return tensor.scales[c] * Float(v - zero)
        }
    }

    /// An integer tensor's values (axes, paddings, shapes), from its data or from shape arithmetic.
    func integerConstant(_ index: Int) throws(TFLiteImportError) -> [Int64]? {
        if let known = integers[index] { return known }
        if let elements = shapeValues[index] {
            let known = elements.compactMap(\.knownValue)
            return known.count == elements.count ? known : nil
        }
        let tensor = model.tensors[index]
        guard let range = tensor.data, let type = tensor.type, type == .int32 || type == .int64 else { return nil }
        guard range.count % type.width == 0, tensor.shape.reduce(1, *) * type.width == range.count else {
            throw .invalidTensor(name: tensor.name, detail: "\(range.count) bytes of data for shape \(tensor.shape) of \(type.name)")
        }
        let bytes = model.buffer.bytes[range]
        return bytes.withUnsafeBytes { raw in
            (0..<(range.count / type.width)).map { i in
                type == .int32 ? Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                               : Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
            }
        }
    }
}
