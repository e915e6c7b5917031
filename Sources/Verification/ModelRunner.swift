import InferenceCore
import MobileNetIR

/// Runs a graph on inputs given in the caller's layout.
///
/// The caller's tensors are in `layout` (by default the layout the source model's users feed,
/// `Metadata.sourceInputLayout`); each is rearranged once into the layout its `GraphInput`
/// declares. Outputs come back as the graph computes them, in the order of `Graph.outputs`.
public struct ModelRunner {
    private let engine: Engine

    /// The graph the runner runs, without the weights its engine holds packed.
    public var graph: Graph { engine.graph }

    /// Pass a graph nothing else holds, and its weights are in memory once (see `Engine.init`).
    /// `threads`: how many the kernels may use (default: all cores). Runners given the same
    /// `sharing` pack equal weights once.
    public init(graph: consuming Graph, threads: Int? = nil, sharing: WeightSharing? = nil) throws(InferenceError) {
        engine = try Engine(graph: graph, threads: threads, sharing: sharing)
    }

    /// The layout callers feed when they say nothing.
    public var defaultLayout: TensorLayout? { graph.metadata.sourceInputLayout ?? graph.inputs.first?.layout }

    /// Runs on one tensor per graph input (in `graph.inputs` order) given in `layout`.
    public func run(_ inputs: [Tensor], layout: TensorLayout? = nil, capture: [String] = []) throws(InferenceError) -> (outputs: [Tensor], captured: [String: Tensor]) {
        guard inputs.count == graph.inputs.count else {
            throw .missingInput(graph.inputs.dropFirst(inputs.count).first?.name ?? "(extra input)")
        }
        let given = layout ?? defaultLayout
        var feed: [String: Tensor] = [:]
        for (input, tensor) in zip(graph.inputs, inputs) {
            if let target = input.layout, let given, tensor.rank == 4 {
                feed[input.name] = tensor.converted(from: given, to: target)
            } else {
                feed[input.name] = tensor
            }
        }
        do {
            let values = try engine.run(feed, capture: capture)
            return (graph.outputs.map { values[$0]! }, values)
        } catch .inputShape(let name, let expected, let got) {
            // Say it in the layout the caller gave, where that is not the graph's own.
            guard let index = graph.inputs.firstIndex(where: { $0.name == name }), let own = graph.inputs[index].layout,
                  let given, given != own, inputs[index].rank == 4 else {
                throw .inputShape(name: name, expected: expected, got: got)
            }
            throw .inputShapeInLayout(name: name, layout: given, expected: own.rearrange(expected, to: given), got: inputs[index].shape)
        }
    }

    /// The shape of input `index` in `layout` for `batch` samples, with open dimensions set to
    /// `fallbackSide` (the input resolution when the model leaves it open).
    public func inputShape(_ index: Int = 0, batch: Int, layout: TensorLayout?, fallbackSide: Int = 224) -> [Int] {
        let input = graph.inputs[index]
        var shape = input.shape.enumerated().map { axis, d in axis == 0 ? batch : (d ?? fallbackSide) }
        if shape.count == 4, let own = input.layout, let wanted = layout ?? defaultLayout, own != wanted {
            shape = own.rearrange(shape, to: wanted)
        }
        return shape
    }
}
