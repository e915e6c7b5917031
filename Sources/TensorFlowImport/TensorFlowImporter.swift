import MobileNetIR
import ProtobufFormats
import TensorIO

/// Reads a frozen TensorFlow GraphDef into the IR.
///
/// ```swift
/// let graph = try TensorFlowImporter.importGraph(from: bytes, options: .init(outputs: ["final_result"]))
/// ```
///
/// Only what the chosen outputs depend on is converted: NoOps, unconnected nodes and other heads
/// are left out. Constant subgraphs (TF-slim's unfused BatchNorm, Keras 3's `Rsqrt` form, `/read`
/// identities) are evaluated at import; integer shape arithmetic becomes constant reshape targets.
///
/// Layouts are converted once, here: filters `[kH, kW, in, out]` become `[out, in, kH, kW]`,
/// depthwise filters `[kH, kW, in, multiplier]` become `[in * multiplier, 1, kH, kW]`, and NHWC
/// activations are computed as NCHW (see `TFValue`).
public enum TensorFlowImporter {
    public struct Options: Sendable {
        /// Names of the nodes to feed; empty: the graph's one Placeholder the outputs depend on.
        public var inputs: [String]
        /// Names of the nodes to return; empty: the graph's one sink.
        public var outputs: [String]

        public init(inputs: [String] = [], outputs: [String] = []) {
            self.inputs = inputs
            self.outputs = outputs
        }
    }

    public static func importGraph(from bytes: [UInt8], options: Options = .init()) throws(TensorFlowImportError) -> Graph {
        try bytes.withBytes { (raw) throws(TensorFlowImportError) in try importGraph(from: raw, options: options) }
    }

    /// Imports a graph from its bytes wherever they are (an array, a mapped file).
    public static func importGraph(from bytes: UnsafeRawBufferPointer, options: Options = .init()) throws(TensorFlowImportError) -> Graph {
        let nodes = try TFGraphDef.parse(bytes)
        var builder = TFGraphBuilder(nodes: nodes)
        return try builder.build(options: options)
    }
}

struct TFGraphBuilder {
    let byName: [String: TFNode]
    let order: [String]
    var irNodes: [Node] = []
    var constants: [String: Tensor] = [:]
    /// TensorFlow nodes evaluated at import, in TensorFlow's layout.
    var folded: [String: ProtoTensor] = [:]
    /// Integer shape arithmetic evaluated at import.
    var shapeValues: [String: [ShapeElement]] = [:]
    /// The IR value that holds each converted TensorFlow node's output.
    var values: [String: TFValue] = [:]
    var graphInputs: [GraphInput] = []
    var fedNodes: Set<String> = []
    /// IR value names taken so far.
    private var names = NameTable()

    init(nodes: [TFNode]) {
        var byName: [String: TFNode] = [:]
        for node in nodes { byName[node.name] = node }
        self.byName = byName
        order = nodes.map(\.name)
    }

    mutating func build(options: TensorFlowImporter.Options) throws(TensorFlowImportError) -> Graph {
        let outputs = try chooseOutputs(options.outputs)
        let inputs = try chooseInputs(options.inputs, outputs: outputs)
        fedNodes = Set(inputs)
        for name in try executionOrder(outputs: outputs, inputs: fedNodes) {
            try convert(byName[name]!)
        }
        // Outputs are returned in TensorFlow's layout and named after their TensorFlow node.
        var outputNames: [String] = []
        for name in outputs {
            guard let value = values[name] else {
                throw .outputs("output '\(name)' is a constant, not computed from the input; choose another with --output-node")
            }
            guard value.permuted || value.name != name else {
                outputNames.append(name)
                continue
            }
            let source = value.name == name ? moveValue(name) : value.name
            let op: Op = value.permuted ? .transpose(perm: [0, 2, 3, 1]) : .identity
            irNodes.append(Node(name: name, op: op, inputs: [source], outputs: [name]))
            outputNames.append(name)
        }
        let graph = Graph(
            inputs: graphInputs, outputs: outputNames, nodes: irNodes, constants: constants,
            metadata: Metadata(sourceFormat: "tensorflow", producer: "TensorFlow GraphDef",
                               sourceInputLayout: graphInputs.first?.layout ?? nil)
        ).removingUnusedConstants()
        do { try graph.validate() } catch { throw .invalidGraph(error.description) }
        return graph
    }

    // MARK: Inputs and outputs

    /// Ops that are plumbing, never a model's output.
    static let notOutputs: Set<String> = ["NoOp", "Const", "Placeholder", "PlaceholderWithDefault", "Assert", "SaveV2", "RestoreV2"]

    private func chooseOutputs(_ requested: [String]) throws(TensorFlowImportError) -> [String] {
        if !requested.isEmpty {
            return try requested.map { (name) throws(TensorFlowImportError) in
                let node = name.split(separator: ":").first.map(String.init) ?? name
                guard byName[node] != nil else { throw .outputs("the graph has no node '\(name)'; check --output-node") }
                return node
            }
        }
        var consumed: Set<String> = []
        for node in byName.values { for input in node.inputs { consumed.insert(input.node) } }
        let sinks = order.filter { !consumed.contains($0) && !Self.notOutputs.contains(byName[$0]!.op) && dependsOnPlaceholder($0) }
        guard let sink = sinks.first else { throw .outputs("the graph computes nothing from an input; choose an output with --output-node NAME") }
        guard sinks.count == 1 else {
            throw .outputs("the graph has several outputs (\(sinks.joined(separator: ", "))); choose with --output-node NAME (repeat it to keep several)")
        }
        return [sink]
    }

    private func chooseInputs(_ requested: [String], outputs: [String]) throws(TensorFlowImportError) -> [String] {
        if !requested.isEmpty {
            return try requested.map { (name) throws(TensorFlowImportError) in
                let node = name.split(separator: ":").first.map(String.init) ?? name
                guard let op = byName[node]?.op else { throw .inputs("the graph has no node '\(name)'; check --input-node") }
                guard op == "Placeholder" || op == "PlaceholderWithDefault" else {
                    throw .inputs("'\(name)' is a \(op), not a Placeholder; --input-node names the node to feed")
                }
                return node
            }
        }
        let placeholders = ancestors(of: outputs).filter { byName[$0]?.op == "Placeholder" }.sorted()
        guard let input = placeholders.first else { throw .inputs("the outputs depend on no Placeholder; choose an input with --input-node NAME") }
        guard placeholders.count == 1 else {
            throw .inputs("the graph has several inputs (\(placeholders.joined(separator: ", "))); choose one with --input-node NAME")
        }
        return [input]
    }

    private func dependsOnPlaceholder(_ name: String) -> Bool {
        ancestors(of: [name]).contains { byName[$0]?.op == "Placeholder" || byName[$0]?.op == "PlaceholderWithDefault" }
    }

    /// Every node the given nodes read, directly or not, themselves included.
    private func ancestors(of names: [String], stoppingAt stops: Set<String> = []) -> Set<String> {
        var seen: Set<String> = []
        var stack = names
        while let name = stack.popLast() {
            guard seen.insert(name).inserted, !stops.contains(name), let node = byName[name] else { continue }
            stack += node.inputs.map(\.node)
        }
        return seen
    }

    /// The nodes the outputs need, each after its inputs (an iterative depth-first walk).
    private func executionOrder(outputs: [String], inputs: Set<String>) throws(TensorFlowImportError) -> [String] {
        var order: [String] = []
        var state: [String: Bool] = [:]  // false: in progress, true: done
        var stack: [(String, Bool)] = outputs.reversed().map { ($0, false) }
        while let (name, expanded) = stack.popLast() {
            if expanded {
                state[name] = true
                order.append(name)
                continue
            }
            if state[name] == true { continue }
            if state[name] == false { throw .invalidGraph("the nodes around '\(name)' form a cycle") }
            guard let node = byName[name] else { throw .missingNode(node: name, input: name) }
            state[name] = false
            stack.append((name, true))
            guard !inputs.contains(name) else { continue }
            for input in node.inputs.reversed() {
                guard byName[input.node] != nil else { throw .missingNode(node: name, input: input.node) }
                if state[input.node] == nil { stack.append((input.node, false)) }
                else if state[input.node] == false { throw .invalidGraph("the nodes around '\(name)' form a cycle") }
            }
        }
        return order
    }

    // MARK: Emitting IR

    /// An IR value name not yet taken, `base` itself when it is free. Every reference goes
    /// through `values`, so any unique name serves.
    mutating func reserve(_ base: String) -> String { names.claim(base) }

    /// Emits `op` on `inputs` for the TensorFlow node `name`; returns the output's IR name.
    mutating func emit(_ name: String, _ op: Op, _ inputs: [String], suffix: String? = nil) -> String {
        let output = reserve(suffix.map { "\(name)/\($0)" } ?? name)
        irNodes.append(Node(name: suffix.map { "\(name)/\($0)" } ?? name, op: op, inputs: inputs, outputs: [output]))
        return output
    }

    /// Renames the IR value `name` (a node's output) to a fresh name everywhere, freeing `name`
    /// for the graph output; returns the new name.
    mutating func moveValue(_ name: String) -> String {
        let moved = reserve("\(name)/value")
        for index in irNodes.indices {
            irNodes[index].inputs = irNodes[index].inputs.map { $0 == name ? moved : $0 }
            irNodes[index].outputs = irNodes[index].outputs.map { $0 == name ? moved : $0 }
        }
        for (key, value) in values where value.name == name { values[key]?.name = moved }
        return moved
    }

    /// Adds a constant weight for `node`, refusing NaN and infinity.
    mutating func addConstant(_ tensor: Tensor, name: String) throws(TensorFlowImportError) -> String {
        if let index = tensor.firstNonFiniteIndex { throw .nonFiniteWeight(name: name, index: index) }
        let irName = reserve(name)
        constants[irName] = tensor
        return irName
    }
}
