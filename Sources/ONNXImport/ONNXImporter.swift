import MobileNetIR
import ProtobufFormats
import TensorIO

/// Reads an ONNX model into the IR, faithfully: one IR node per ONNX node (Gemm and MatMul become
/// `dense`, Constant nodes become constants), nothing folded. Canonicalising is the passes' job.
///
/// ```swift
/// let graph = try ONNXImporter.importGraph(from: bytes)
/// ```
///
/// ONNX is already `[N, C, H, W]` with weights `[O, I/groups, kH, kW]`, the IR's layouts, so no
/// weight is permuted here. A rank-4 input that feeds only a `Transpose(0, 3, 1, 2)` (what tf2onnx
/// writes) is recorded as an `nhwc` input.
public enum ONNXImporter {
    /// The default-domain opsets whose semantics the op table implements.
    public static let supportedOpsets = 6...21

    public static func importGraph(from bytes: [UInt8]) throws(ONNXImportError) -> Graph {
        try bytes.withBytes { (raw) throws(ONNXImportError) in try importGraph(from: raw) }
    }

    /// Imports a model from its bytes wherever they are (an array, a mapped file).
    public static func importGraph(from bytes: UnsafeRawBufferPointer) throws(ONNXImportError) -> Graph {
        let model = try ONNXModel.parse(bytes)
        guard supportedOpsets.contains(model.opset) else { throw .unsupportedOpset(model.opset) }
        var builder = ONNXGraphBuilder(opset: model.opset)
        return try builder.build(model)
    }
}

/// The state of one import: constants found so far and IR nodes emitted so far.
struct ONNXGraphBuilder {
    let opset: Int
    var constants: [String: Tensor] = [:]
    /// Integer tensors (shapes, pads, axes), kept apart: the IR holds float tensors only.
    var integerConstants: [String: [Int64]] = [:]
    var nodes: [Node] = []
    /// Integer subgraphs evaluated at import (see ONNXShapeArithmetic.swift).
    var shapeValues: [String: [ShapeElement]] = [:]
    /// The graph's inputs, known before any node is converted.
    var graphInputs: [GraphInput] = []
    /// Every value name read by some node or returned by the graph: only these are checked for NaN.
    var referenced: Set<String> = []
    private var names = NameTable()

    init(opset: Int) { self.opset = opset }

    mutating func build(_ model: ONNXModel) throws(ONNXImportError) -> Graph {
        let graph = model.graph
        referenced = Set(graph.nodes.flatMap(\.inputs) + graph.outputs.map(\.name))
        names = NameTable(taken: graph.nodes.flatMap(\.outputs) + graph.inputs.map(\.name) + graph.initializers.map(\.name))
        for tensor in graph.initializers { try addConstant(tensor, as: tensor.name) }

        let initializerNames = Set(graph.initializers.map(\.name))
        let ordered = try Self.topologicallySorted(graph.nodes, available: initializerNames.union(graph.inputs.map(\.name)))
        for info in graph.inputs where !initializerNames.contains(info.name) {
            graphInputs.append(try graphInput(info, consumers: ordered.filter { $0.inputs.contains(info.name) }))
        }
        let inputs = graphInputs
        guard !inputs.isEmpty else { throw .invalidGraph(detail: "the graph has no input") }
        for node in ordered { try convert(node) }

        guard !graph.outputs.isEmpty else { throw .invalidGraph(detail: "the graph has no output") }

        let result = Graph(
            inputs: inputs, outputs: graph.outputs.map(\.name), nodes: nodes, constants: constants,
            metadata: Metadata(sourceFormat: "onnx", producer: model.producer, sourceInputLayout: inputs[0].layout,
                               properties: ["onnx_opset": "\(opset)", "onnx_ir_version": "\(model.irVersion)"])
        ).removingUnusedConstants()
        do { try result.validate() } catch { throw .invalidGraph(detail: error.description) }
        return result
    }

    // MARK: Values

    mutating func addConstant(_ tensor: ProtoTensor, as name: String) throws(ONNXImportError) {
        switch tensor.values {
        case .float(let values):
            let constant = Tensor(shape: tensor.shape, data: values)
            if referenced.contains(name), let index = constant.firstNonFiniteIndex {
                throw .nonFiniteWeight(name: name, index: index)
            }
            constants[name] = constant
        case .int64(let values):
            integerConstants[name] = values
            // An integer tensor read as data (rare) is also available as floats.
            constants[name] = Tensor(shape: tensor.shape, data: values.map { Float($0) })
        }
    }

    /// A name no value of the source uses, derived from `base`.
    mutating func freshName(_ base: String) -> String { names.claim(base) }

    mutating func emit(_ node: ONNXNode, _ op: Op, inputs: [String]) {
        nodes.append(Node(name: node.displayName, op: op, inputs: inputs, outputs: [node.outputs[0]]))
    }

    /// Emits an intermediate IR node for `node` and returns the name of its output.
    mutating func emitIntermediate(_ node: ONNXNode, _ op: Op, inputs: [String], suffix: String) -> String {
        let output = freshName("\(node.outputs[0])/\(suffix)")
        nodes.append(Node(name: "\(node.displayName)/\(suffix)", op: op, inputs: inputs, outputs: [output]))
        return output
    }

    // MARK: Graph structure

    private func graphInput(_ info: ONNXValueInfo, consumers: [ONNXNode]) throws(ONNXImportError) -> GraphInput {
        guard let shape = info.shape else {
            throw .invalidInput(name: info.name, detail: "the file declares no shape; re-export with input shapes")
        }
        var layout: TensorLayout?
        if shape.count == 4 {
            let feedsTransposeToNCHW = !consumers.isEmpty && consumers.allSatisfy {
                $0.opType == "Transpose" && $0.attributes["perm"].flatMap(\.ints) == [0, 3, 1, 2]
            }
            layout = feedsTransposeToNCHW ? .nhwc : .nchw
        }
        return GraphInput(name: info.name, shape: shape, layout: layout)
    }

    /// Kahn's algorithm: the nodes in an order where each runs after the producers of its inputs.
    /// Fails on a cycle or on an input that nothing defines.
    static func topologicallySorted(_ nodes: [ONNXNode], available: Set<String>) throws(ONNXImportError) -> [ONNXNode] {
        var producer: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                guard producer.updateValue(index, forKey: output) == nil, !available.contains(output) else {
                    throw .invalidGraph(detail: "value '\(output)' is defined twice")
                }
            }
        }
        var pending = [Int](repeating: 0, count: nodes.count)
        var dependents: [[Int]] = Array(repeating: [], count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for input in Set(node.inputs) where !input.isEmpty && !available.contains(input) {
                guard let source = producer[input] else {
                    throw .invalidGraph(detail: "node '\(node.displayName)' reads '\(input)', which nothing defines")
                }
                pending[index] += 1
                dependents[source].append(index)
            }
        }
        var ready = nodes.indices.filter { pending[$0] == 0 }
        var order: [ONNXNode] = []
        var cursor = 0
        while cursor < ready.count {
            let index = ready[cursor]
            cursor += 1
            order.append(nodes[index])
            for dependent in dependents[index] {
                pending[dependent] -= 1
                if pending[dependent] == 0 { ready.append(dependent) }
            }
        }
        guard order.count == nodes.count else { throw .invalidGraph(detail: "the nodes form a cycle") }
        return order
    }
}

extension ONNXNode {
    /// The node's name, or its first output's when the file leaves it empty.
    var displayName: String { name.isEmpty ? (outputs.first ?? opType) : name }
}

extension ONNXAttribute {
    var ints: [Int64]? {
        switch self {
        case .ints(let v): v
        case .int(let v): [v]
        default: nil
        }
    }
}
