import Foundation
import MobileNetIR
import Synchronization

/// Which kernels a plan uses.
public enum KernelChoice: Sendable {
    case fast
    case reference
}

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
    /// The graph as given, less the weight constants the fast kernels took over: those live
    /// only in their packed form (`prepared`), so an engine holds each weight once.
    public let graph: Graph
    public let kernels: KernelChoice
    public let threads: Int
    /// The packed weights of each node that runs on a fast kernel, by node index.
    private let prepared: [Int: PreparedWeights]
    /// The shape of every constant of the graph as given.
    private let constantShapes: [String: [Int]]
    /// Plans by input shapes and captured names.
    private var plans: [PlanKey: ExecutionPlan] = [:]

    private struct PlanKey: Hashable {
        var shapes: [[Int]]
        var keep: Set<String>
    }

    /// `kernels`: the fast kernels where they apply (convolutions), or the reference kernels alone
    /// (the oracle in tests). `threads`: how many threads the fast kernels may use (default, and at
    /// most: all cores; the workers spin between layers, and more of them than cores only contend).
    ///
    /// The engine packs the fast kernels' weights here, once, and drops each weight constant as
    /// soon as nothing else reads it; pass a graph nothing else holds (`Engine(graph: consume g)`)
    /// and each weight is in memory once, not twice. Engines given the same `sharing` pack equal
    /// weights once (verification's two engines, say).
    public init(graph: consuming Graph, kernels: KernelChoice = .fast, threads: Int? = nil,
                sharing: WeightSharing? = nil) throws(InferenceError) {
        do { try graph.validate() } catch { throw .invalidGraph(error) }
        self.kernels = kernels
        self.threads = Self.threadCount(threads)
        constantShapes = graph.constants.mapValues(\.shape)
        var prepared: [Int: PreparedWeights] = [:]
        if kernels == .fast {
            // How many nodes (and graph outputs) read each constant; packed nodes stop reading theirs.
            var readers: [String: Int] = [:]
            for name in graph.outputs + graph.nodes.flatMap(\.inputs) where graph.constants[name] != nil { readers[name, default: 0] += 1 }
            // Packing is copying; each node's weights are packed on whichever thread is free.
            let nodes = graph.nodes, constants = graph.constants
            let packed = Mutex<[Int: PreparedWeights]>([:])
            parallelFor(nodes.count, threads: self.threads) { index in
                guard let weights = PreparedWeights.prepare(nodes[index], constants: constants, sharing: sharing) else { return }
                packed.withLock { $0[index] = weights }
            }
            prepared = packed.withLock { $0 }
            for (index, node) in graph.nodes.enumerated() where prepared[index] != nil {
                for name in node.inputs where readers[name] != nil {
                    readers[name]! -= 1
                    if readers[name] == 0 { graph.constants[name] = nil }
                }
            }
        }
        self.prepared = prepared
        self.graph = graph
    }

    /// Lets the kernels' worker threads sleep now instead of spinning for the few milliseconds
    /// they wait for a next layer: call it when no inference follows soon, so that what comes
    /// next has every core (verification calls it when done; a conversion then writes and
    /// checksums its file). Any engine's next run wakes them.
    public static func parkThreads() { WorkerPool.shared.park() }

    /// The threads an engine asked for `requested` uses: all cores by default, and never more.
    public static func threadCount(_ requested: Int?) -> Int {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        return min(max(1, requested ?? cores), cores)
    }

    /// Runs the graph and returns its outputs by name; `capture` names further values to return
    /// (intermediate activations, for per-layer comparison; a plan that keeps them reuses less
    /// memory, so it is built separately from the plain one).
    public func run(_ inputs: [String: Tensor], capture: [String] = []) throws(InferenceError) -> [String: Tensor] {
        try plan(for: inputs, keeping: Set(capture)).run(inputs, returning: Set(graph.outputs + capture))
    }

    /// The plan for these inputs' shapes, built on first use.
    private func plan(for inputs: [String: Tensor], keeping keep: Set<String>) throws(InferenceError) -> ExecutionPlan {
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
        let key = PlanKey(shapes: graph.inputs.map { shapes[$0.name]! }, keep: keep)
        if let cached = plans[key] { return cached }
        let plan = try ExecutionPlan(graph: graph, constantShapes: constantShapes, prepared: prepared, inputShapes: shapes,
                                     keep: keep, kernels: kernels, threads: threads)
        plans[key] = plan
        return plan
    }

    /// One line of a profile: the nodes (indices into `graph.nodes`, in order) whose work one
    /// part of the plan does, and its median wall time in ms. A node is a line of its own unless
    /// the plan fused it with the next one (a depthwise layer and the pointwise layer it feeds).
    public struct ProfileLine: Sendable {
        public let nodes: [Int]
        public let ms: Double
    }

    /// The median wall time of each node, or pair of fused nodes, over `runs` runs (after one
    /// untimed run), in node order: where the time goes.
    public func profile(_ inputs: [String: Tensor], runs: Int) throws(InferenceError) -> [ProfileLine] {
        let plan = try plan(for: inputs, keeping: [])
        _ = plan.run(inputs, returning: [])
        // Each node's line: its own, or that of the step it was fused into.
        var line = Array(graph.nodes.indices)
        for step in plan.steps { if let fused = step.fused { line[fused] = step.node } }
        var samples = Array(repeating: [Double](), count: graph.nodes.count)
        for _ in 0..<max(runs, 1) {
            var perLine = [Double](repeating: 0, count: graph.nodes.count)
            for (step, ms) in zip(plan.steps, plan.timeSteps(inputs)) { perLine[line[step.node]] += ms }
            for (index, ms) in perLine.enumerated() { samples[index].append(ms) }
        }
        var lines: [ProfileLine] = []
        var done = Set<Int>()
        for node in graph.nodes.indices where done.insert(line[node]).inserted {
            let times = samples[line[node]].sorted()
            lines.append(ProfileLine(nodes: graph.nodes.indices.filter { line[$0] == line[node] }, ms: times[times.count / 2]))
        }
        return lines
    }

    /// The shape of every value for the given input shapes.
    public func shapes(for inputShapes: [String: [Int]]) throws(InferenceError) -> [String: [Int]] {
        do { return try graph.inferShapes(inputShapes: inputShapes, constantShapes: constantShapes) } catch { throw .invalidGraph(error) }
    }
}

