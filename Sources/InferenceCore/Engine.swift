import MobileNetIR

/// Runs a graph.
///
/// ```swift
/// let engine = try Engine(graph: graph)
/// let outputs = try engine.run(["input": image])          // [output name: tensor]
/// ```
///
/// Inputs are given in the layout of each `GraphInput` (see `Tensor.converted(from:to:)`). Any batch
/// size and any resolution the graph's ops accept work; one plan is built per distinct set of input
/// shapes and kept. An `Engine` is not safe to share between threads; make one per thread.
public final class Engine {
    public let graph: Graph
    private var plans: [[Int]: ExecutionPlan] = [:]

    public init(graph: Graph) throws(InferenceError) {
        do { try graph.validate() } catch { throw .invalidGraph(error) }
        self.graph = graph
    }

    /// Runs the graph and returns its outputs by name; `capture` names further values to return
    /// (intermediate activations, for per-layer comparison).
    public func run(_ inputs: [String: Tensor], capture: [String] = []) throws(InferenceError) -> [String: Tensor] {
        var shapes: [String: [Int]] = [:]
        for input in graph.inputs {
            guard let tensor = inputs[input.name] else { throw .missingInput(input.name) }
            let channelAxis = input.layout == .nhwc ? 3 : 1
            guard tensor.rank == input.shape.count,
                  input.layout == nil || input.shape[channelAxis] == nil || input.shape[channelAxis] == tensor.shape[channelAxis] else {
                throw .inputShape(name: input.name, expected: input.shape, got: tensor.shape)
            }
            shapes[input.name] = tensor.shape
        }
        let key = graph.inputs.flatMap { shapes[$0.name]! + [-1] }
        let plan: ExecutionPlan
        if let cached = plans[key] {
            plan = cached
        } else {
            plan = try ExecutionPlan(graph: graph, inputShapes: shapes)
            plans[key] = plan
        }

        return plan.run(inputs, returning: Set(plan.outputSlots.map(\.name) + capture))
    }

    /// The shape of every value for the given input shapes.
    public func shapes(for inputShapes: [String: [Int]]) throws(InferenceError) -> [String: [Int]] {
        do { return try graph.inferShapes(inputShapes: inputShapes) } catch { throw .invalidGraph(error) }
    }
}

