/// A model as a value: inputs, constants, nodes in execution order, outputs.
///
/// Values are named by strings, as in ONNX and TensorFlow: a name is a graph input, a constant, or
/// the output of exactly one node. `nodes` is in topological order (`validate()` checks it).
/// Passes never mutate a graph in place; they return a new one.
public struct Graph: Sendable, Equatable {
    public var inputs: [GraphInput]
    /// The names of the values the model returns, in order.
    public var outputs: [String]
    public var nodes: [Node]
    /// Weights and every other constant value, by name.
    public var constants: [String: Tensor]
    public var metadata: Metadata

    public init(inputs: [GraphInput], outputs: [String], nodes: [Node], constants: [String: Tensor], metadata: Metadata) {
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
        self.constants = constants
        self.metadata = metadata
    }

    /// For each value name, the indices of the nodes that read it.
    public func consumers() -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for (index, node) in nodes.enumerated() {
            for input in node.inputs where !input.isEmpty {
                result[input, default: []].append(index)
            }
        }
        return result
    }

    /// The index of the node that produces each value.
    public func producers() -> [String: Int] {
        var result: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty { result[output] = index }
        }
        return result
    }

    /// Drops constants no node reads any more (what a fold leaves behind).
    public func removingUnusedConstants() -> Graph {
        let used = Set(nodes.flatMap(\.inputs)).union(outputs)
        var copy = self
        copy.constants = constants.filter { used.contains($0.key) }
        return copy
    }
}
extension Graph {
    /// The graph with every rank-4 input's height and width declared as `side`, in the input's
    /// own layout (MobileNetV1 is fully convolutional up to the pool, so one set of weights runs
    /// at any side).
    public func declaringResolution(_ side: Int) -> Graph {
        var copy = self
        for i in copy.inputs.indices where copy.inputs[i].shape.count == 4 {
            let (h, w) = copy.inputs[i].layout == .nhwc ? (1, 2) : (2, 3)
            copy.inputs[i].shape[h] = side
            copy.inputs[i].shape[w] = side
        }
        return copy
    }
}


/// One operation applied to named values.
public struct Node: Sendable, Equatable {
    /// The source model's name for the node, kept for messages and per-layer reports.
    public var name: String
    public var op: Op
    /// Value names read, in the order the op documents; `""` is an absent optional input.
    public var inputs: [String]
    public var outputs: [String]

    public init(name: String, op: Op, inputs: [String], outputs: [String]) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The single output every IR op has.
    public var output: String { outputs[0] }
}

/// A value the caller feeds.
public struct GraphInput: Sendable, Equatable {
    public var name: String
    /// The declared shape in `layout`; `nil` marks a dimension fixed only when the model runs
    /// (a dynamic batch, or a resolution the source left open).
    public var shape: [Int?]
    /// The axis order of the tensor this input expects (rank-4 inputs only; others are `nil`).
    public var layout: TensorLayout?

    public init(name: String, shape: [Int?], layout: TensorLayout?) {
        self.name = name
        self.shape = shape
        self.layout = layout
    }
}

/// Where a graph came from, carried into the .mnw file.
public struct Metadata: Sendable, Equatable {
    /// `onnx`, `tensorflow`, `keras` or `mnw`.
    public var sourceFormat: String
    /// The tool that wrote the source, as it names itself (`tf2onnx 1.17.0`, `pytorch 2.1`).
    public var producer: String
    /// The layout in which the source model's users feed its input (the default of `run`).
    public var sourceInputLayout: TensorLayout?
    /// Further facts as text: the ONNX opset, and later what the MobileNetV1 recogniser finds.
    public var properties: [String: String]

    public init(sourceFormat: String, producer: String, sourceInputLayout: TensorLayout?, properties: [String: String] = [:]) {
        self.sourceFormat = sourceFormat
        self.producer = producer
        self.sourceInputLayout = sourceInputLayout
        self.properties = properties
    }
}
