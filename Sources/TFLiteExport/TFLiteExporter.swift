import FlatBuffers
import MobileNetIR

/// Writes a graph as a float32 TFLite model that LiteRT runs.
///
/// ```swift
/// let bytes = try TFLiteExporter.serialize(graph, options: .init())
/// ```
///
/// TFLite computes rank-4 activations as NHWC, so every rank-4 IR value (`[N, C, H, W]`) is written
/// as its `(0, 2, 3, 1)` transpose: the input is `[N, H, W, C]` (what LiteRT users feed), filters
/// are OHWI, depthwise filters `[1, kH, kW, C * M]`. Padding is SAME or VALID where the declared
/// input size makes them equal to the IR's pads, else an explicit `PAD`. Activations stay fused
/// into the convolutions. A dimension that follows the batch is -1 in `shape_signature`. A rank-4
/// output is transposed back, so the model returns what the IR computes. The same graph and
/// options give the same bytes.
public enum TFLiteExporter {
    public struct Options: Sendable {
        /// Canonical layer names by IR node name (`conv_dw_7`): the names of the output tensors
        /// and of the weights (`conv_dw_7/weight`).
        public var layerNames: [String: String] = [:]
        /// Written as `Model.metadata`, each value a UTF-8 buffer, sorted by name.
        public var metadata: [String: String] = [:]
        /// `Model.description`.
        public var description = "mnconvert"
        public init() {}
    }

    public static func serialize(_ graph: Graph, options: Options = .init()) throws(TFLiteExportError) -> [UInt8] {
        var writer = try TFLiteGraphWriter(graph: graph, options: options)
        return try writer.model()
    }
}

/// The state of one export: tensors, buffers and operators written so far.
struct TFLiteGraphWriter {
    let graph: Graph
    let options: TFLiteExporter.Options
    /// IR shapes at batch 1 and the declared input size, and which dimensions follow the batch.
    let shapes: [String: [Int]]
    let dynamic: [String: [Bool]]
    var tensors: [FlatTable] = []
    /// Buffer 0 is TFLite's empty sentinel, shared by every tensor without data.
    var buffers: [FlatTable] = [FlatTable()]
    var operators: [FlatTable] = []
    var operatorCodes: [Int32] = []
    /// What the buffers will take in the file, about: reserved before serializing.
    var bufferBytes = 0
    /// IR value name -> TFLite tensor index (rank-4 values held NHWC).
    var tensorOf: [String: Int] = [:]
    var taken = NameTable()

    init(graph: Graph, options: TFLiteExporter.Options) throws(TFLiteExportError) {
        self.graph = graph
        self.options = options
        func shapes(batch: Int) throws(TFLiteExportError) -> [String: [Int]] {
            var inputShapes: [String: [Int]] = [:]
            for input in graph.inputs {
                let dims = input.shape.enumerated().map { axis, d in axis == 0 ? batch : d }
                guard dims.allSatisfy({ $0 != nil }) else {
                    throw .openInputSize("input '\(input.name)' leaves its size open (\(input.shape.map { $0.map(String.init) ?? "?" })); declare one with --resolution")
                }
                // The IR computes rank-4 inputs as NCHW whatever layout the caller feeds.
                let shape = dims.map { $0! }
                inputShapes[input.name] = input.layout == .nhwc && shape.count == 4 ? [shape[0], shape[3], shape[1], shape[2]] : shape
            }
            do { return try graph.inferShapes(inputShapes: inputShapes) } catch {
                throw .unsupported(node: "(graph)", detail: "shapes cannot be inferred: \(error.description)")
            }
        }
        let one = try shapes(batch: 1), two = try shapes(batch: 2)
        self.shapes = one
        var flags: [String: [Bool]] = [:]
        for (name, a) in one {
            let b = two[name] ?? a
            flags[name] = a.count == b.count ? zip(a, b).map { $0 != $1 } : Array(repeating: false, count: a.count)
        }
        dynamic = flags
    }

    mutating func model() throws(TFLiteExportError) -> [UInt8] {
        var inputs: [Int32] = []
        for input in graph.inputs {
            let single = graph.inputs.count == 1 && shapes[input.name]!.count == 4
            inputs.append(Int32(activationTensor(input.name, name: single ? "input" : input.name)))
        }
        for node in graph.nodes { try emit(node) }

        // A classifier's one output is named by what it is; a backbone's keep the source's names.
        let producers = graph.producers()
        var outputs: [Int32] = []
        for output in graph.outputs {
            var index = try tensor(output)
            if shapes[output]?.count == 4 {
                // Back to the layout the IR returns.
                index = op(TFLiteOperator.transpose, [index, intTensor("\(output)/perm", [0, 3, 1, 2])],
                           output: plainTensor(output, shape: shapes[output]!, name: output))
            }
            if graph.outputs.count == 1, let producer = producers[output] {
                if case .softmax = graph.nodes[producer].op { rename(index, "probabilities") }
                else if options.layerNames.values.contains("classifier") { rename(index, "logits") }
            }
            outputs.append(Int32(index))
        }

        var subgraph = FlatTable()
        subgraph[0] = .tables(tensors)
        subgraph[1] = .int32s(inputs)
        subgraph[2] = .int32s(outputs)
        subgraph[3] = .tables(operators)
        subgraph[4] = .string("main")

        var model = FlatTable()
        model[0] = .uint32(3)
        model[1] = .tables(operatorCodes.map { code in
            var table = FlatTable()
            table[0] = .int8(Int8(min(code, 127)))
            table[2] = .int32(1)
            table[3] = .int32(code)
            return table
        })
        model[2] = .tables([subgraph])
        model[3] = .string(options.description)
        var metadata: [FlatTable] = []
        for (key, value) in options.metadata.sorted(by: { $0.key < $1.key }) {
            var entry = FlatTable()
            entry[0] = .string(key)
            entry[1] = .uint32(UInt32(buffer(Array(value.utf8))))
            metadata.append(entry)
        }
        model[4] = .tables(buffers)
        if !metadata.isEmpty { model[6] = .tables(metadata) }
        let bytes = FlatBufferBuilder.serialize(root: model, identifier: "TFL3", capacity: bufferBytes + 64 * (tensors.count + operators.count) + 4096)
        guard bytes.count < Int(Int32.max) else {
            throw .unsupported(node: "(model)", detail: "the model is larger than the 2 GiB a flatbuffer can address")
        }
        return bytes
    }

    // MARK: Tensors and buffers

    /// A new buffer holding `data` (bytes, or floats written as their bytes); returns its index.
    mutating func buffer(_ data: FlatField) -> Int {
        var table = FlatTable()
        table[0] = data
        buffers.append(table)
        switch data {
        case .floatBytes(let values, _): bufferBytes += values.count * 4 + 32
        case .scalars(let bytes, _, _): bufferBytes += bytes.count + 32
        default: break
        }
        return buffers.count - 1
    }

    mutating func buffer(_ bytes: [UInt8]) -> Int { buffer(.scalars(bytes: bytes, elementSize: 1, alignment: 16)) }

    /// A new tensor; returns its index. `dynamic` marks dimensions written -1 in `shape_signature`.
    mutating func addTensor(name: String, shape: [Int], dynamic: [Bool] = [], type: Int8 = 0, data: FlatField? = nil) -> Int {
        var table = FlatTable()
        table[0] = .int32s(shape.map { Int32($0) })
        table[1] = .int8(type)
        table[2] = .uint32(UInt32(data.map { buffer($0) } ?? 0))
        table[3] = .string(taken.claim(name))
        if dynamic.contains(true) {
            table[7] = .int32s(zip(shape, dynamic).map { $1 ? -1 : Int32($0) })
        }
        tensors.append(table)
        return tensors.count - 1
    }

    /// Renames tensor `index` (an output) to `name`, or to a variant of it if taken.
    mutating func rename(_ index: Int, _ name: String) { tensors[index][3] = .string(taken.claim(name)) }

    /// The TFLite tensor of IR value `name`, written NHWC when it is rank 4.
    mutating func activationTensor(_ value: String, name: String) -> Int {
        let shape = shapes[value]!, flags = dynamic[value] ?? []
        let index = shape.count == 4
            ? addTensor(name: name, shape: nhwc(shape), dynamic: flags.count == 4 ? nhwc(flags) : [])
            : addTensor(name: name, shape: shape, dynamic: flags)
        tensorOf[value] = index
        return index
    }

    /// A tensor in the IR's own layout (no NHWC rearrangement), for values written as they are.
    mutating func plainTensor(_ value: String, shape: [Int], name: String) -> Int {
        addTensor(name: name, shape: shape, dynamic: dynamic[value] ?? [])
    }

    /// The tensor already written for an IR value, or a constant written now.
    mutating func tensor(_ value: String) throws(TFLiteExportError) -> Int {
        if let index = tensorOf[value] { return index }
        guard let constant = graph.constants[value] else {
            throw .unsupported(node: value, detail: "is read before it is computed")
        }
        let index = floatTensor(value, constant.rank == 4 ? constant.transposed([0, 2, 3, 1]) : constant)
        tensorOf[value] = index
        return index
    }

    /// A float32 constant tensor holding `tensor` as it is.
    mutating func floatTensor(_ name: String, _ tensor: Tensor) -> Int {
        addTensor(name: name, shape: tensor.shape, data: .floatBytes(tensor.data, alignment: 16))
    }

    /// An int32 constant vector (axes, shapes, permutations), or `[rows, 2]` for paddings.
    mutating func intTensor(_ name: String, _ values: [Int], shape: [Int]? = nil) -> Int {
        let bytes = values.flatMap { withUnsafeBytes(of: Int32($0).littleEndian, Array.init) }
        return addTensor(name: name, shape: shape ?? [values.count], type: 2, data: .scalars(bytes: bytes, elementSize: 1, alignment: 16))
    }

    func nhwc<T>(_ values: [T]) -> [T] { [values[0], values[2], values[3], values[1]] }

    // MARK: Operators

    /// Appends an operator; returns `output`.
    @discardableResult
    mutating func op(_ code: Int32, _ inputs: [Int], output: Int, optionsType: UInt8 = 0, options: FlatTable? = nil) -> Int {
        var table = FlatTable()
        let opcode = operatorCodes.firstIndex(of: code) ?? {
            operatorCodes.append(code)
            return operatorCodes.count - 1
        }()
        table[0] = .uint32(UInt32(opcode))
        table[1] = .int32s(inputs.map { Int32($0) })
        table[2] = .int32s([Int32(output)])
        if let options {
            table[3] = .uint8(optionsType)
            table[4] = .table(options)
        }
        operators.append(table)
        return output
    }

    /// The name an IR node's output tensor takes: its canonical layer name when it has one.
    func displayName(_ node: Node) -> String { options.layerNames[node.name] ?? node.name }
}

/// `BuiltinOperator` and `BuiltinOptions` numbers the writer uses (TFLite's schema).
enum TFLiteOperator {
    static let concatenation: Int32 = 2, logistic: Int32 = 14
    static let add: Int32 = 0, averagePool: Int32 = 1, conv: Int32 = 3, depthwiseConv: Int32 = 4, fullyConnected: Int32 = 9
    static let maxPool: Int32 = 17, mul: Int32 = 18, relu: Int32 = 19, reluN1To1: Int32 = 20, relu6: Int32 = 21
    static let reshape: Int32 = 22, softmax: Int32 = 25, pad: Int32 = 34, transpose: Int32 = 39, mean: Int32 = 40
    static let sub: Int32 = 41, div: Int32 = 42, padV2: Int32 = 60

    /// `BuiltinOptions` union types.
    static let conv2DOptions: UInt8 = 1, depthwiseOptions: UInt8 = 2, poolOptions: UInt8 = 5, fullyConnectedOptions: UInt8 = 8
    static let concatenationOptions: UInt8 = 10
    static let softmaxOptions: UInt8 = 9, addOptions: UInt8 = 11, reshapeOptions: UInt8 = 17, mulOptions: UInt8 = 21
    static let padOptions: UInt8 = 22, transposeOptions: UInt8 = 26, reducerOptions: UInt8 = 27, subOptions: UInt8 = 28
    static let divOptions: UInt8 = 29, padV2Options: UInt8 = 43
}
