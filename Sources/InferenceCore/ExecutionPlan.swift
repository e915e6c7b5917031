import Dispatch
import MobileNetIR

/// A graph resolved for one set of input shapes: the shape of every value, one slot per value in
/// one arena, and one prepared kernel per node. Constants are copied into the arena once, when the
/// plan is built; a run copies the inputs in, runs the steps and allocates nothing else. A plan
/// never reads the `Graph` again once built.
final class ExecutionPlan {
    struct Step {
        var kernel: any PreparedKernel
        var inputSlots: [Int]
        var outputSlot: Int
    }

    /// The largest number of activation values a plan may hold (4 GiB of fp32).
    static let elementLimit = 1 << 30

    let steps: [Step]
    let shapes: [String: [Int]]
    /// The buffer slot of each value name.
    let slots: [String: Int]
    /// Where each slot starts in `arena`, and its element count.
    let slotOffsets: [Int]
    let slotSizes: [Int]
    /// Every value of the graph, constants included.
    let arena: UnsafeMutableBufferPointer<Float>
    let inputSlots: [(name: String, slot: Int)]
    let outputSlots: [(name: String, slot: Int)]

    init(graph: Graph, inputShapes: [String: [Int]], kernels: KernelChoice = .fast, threads: Int = 1) throws(InferenceError) {
        let shapes: [String: [Int]]
        do {
            try graph.validate()
            shapes = try graph.inferShapes(inputShapes: inputShapes)
        } catch {
            throw .invalidGraph(error)
        }
        self.shapes = shapes
        var slots: [String: Int] = [:]
        var sizes: [Int] = []
        func slot(for name: String) -> Int {
            if let existing = slots[name] { return existing }
            slots[name] = sizes.count
            sizes.append(shapes[name]!.reduce(1, *))
            return sizes.count - 1
        }
        let constantSlots = graph.constants.keys.sorted().map { (slot(for: $0), graph.constants[$0]!) }
        let inputSlots = graph.inputs.map { ($0.name, slot(for: $0.name)) }
        var steps: [Step] = []
        for node in graph.nodes {
            let operandShapes = node.inputs.map { $0.isEmpty ? [] : shapes[$0]! }
            let fast = kernels == .fast ? Self.fastKernel(for: node, shapes: operandShapes, output: shapes[node.output]!,
                                                          constants: graph.constants, threads: threads) : nil
            let kernel = if let fast { fast } else { try Self.referenceKernel(for: node, shapes: operandShapes, output: shapes[node.output]!) }
            steps.append(Step(kernel: kernel, inputSlots: node.inputs.map { $0.isEmpty ? -1 : slot(for: $0) },
                              outputSlot: slot(for: node.output)))
        }
        var offsets: [Int] = [], total = 0
        for size in sizes {
            offsets.append(total)
            total += size
            guard total <= Self.elementLimit else { throw .tooLarge(elements: total) }
        }
        self.steps = steps
        self.slots = slots
        self.slotSizes = sizes
        self.slotOffsets = offsets
        self.arena = .allocate(capacity: max(total, 1))
        arena.initialize(repeating: 0)
        self.inputSlots = inputSlots
        self.outputSlots = graph.outputs.map { ($0, slots[$0]!) }
        for (slot, tensor) in constantSlots {
            _ = buffer(slot).initialize(from: tensor.data)
        }
    }

    deinit { arena.deallocate() }

    func buffer(_ slot: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: arena[slotOffsets[slot]..<(slotOffsets[slot] + slotSizes[slot])])
    }

    /// Read-only views of a step's input slots (empty for an absent optional input).
    private func operands(of step: Step) -> [UnsafeBufferPointer<Float>] {
        step.inputSlots.map { $0 < 0 ? UnsafeBufferPointer(start: nil, count: 0) : UnsafeBufferPointer(buffer($0)) }
    }

    /// Runs every step once on the inputs already copied in, returning each step's wall time in ms.
    func timeSteps() -> [Double] {
        steps.map { step in
            let operands = operands(of: step)
            let start = DispatchTime.now().uptimeNanoseconds
            step.kernel.run(operands, buffer(step.outputSlot))
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
    }

    /// Copies `inputs` in, runs every step, and copies out the values named in `names`.
    func run(_ inputs: [String: Tensor], returning names: Set<String>) -> [String: Tensor] {
        for (name, slot) in inputSlots {
            _ = buffer(slot).initialize(from: inputs[name]!.data)
        }
        for step in steps {
            let operands = operands(of: step)
            step.kernel.run(operands, buffer(step.outputSlot))
        }
        var result: [String: Tensor] = [:]
        for name in names {
            guard let slot = slots[name] else { continue }
            result[name] = Tensor(shape: shapes[name]!, data: Array(buffer(slot)))
        }
        return result
    }

    /// The fast kernel for `node`, when one exists for its op and shapes and its weights are
    /// constants (they are packed here, once).
    static func fastKernel(for node: Node, shapes: [[Int]], output: [Int], constants: [String: Tensor], threads: Int) -> (any PreparedKernel)? {
        if node.op == .globalAveragePool { return FastGlobalAveragePool(input: shapes[0]) }
        guard case .conv2d(let conv) = node.op, let weight = constants[node.inputs[1]] else { return nil }
        var bias: Tensor?
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            guard let b = constants[node.inputs[2]] else { return nil }
            bias = b
        }
        let x = shapes[0]
        if FastDepthwiseConv.handles(conv, input: x, weight: weight.shape) {
            return FastDepthwiseConv(input: x, output: output, weight: weight, bias: bias, conv: conv, threads: threads)
        }
        let pointwise = weight.shape[2] == 1 && weight.shape[3] == 1 && conv.groups == 1 && conv.stride == [1, 1]
            && conv.padding.resolved(inputSize: [x[2], x[3]], kernel: [1, 1], stride: [1, 1], dilation: [1, 1]) == [0, 0, 0, 0]
        if pointwise {
            return FastPointwiseConv(input: x, weight: Tensor(shape: [weight.shape[0], weight.shape[1]], data: weight.data), bias: bias,
                                     activation: conv.activation, threads: threads)
        }
        if FastIm2colConv.handles(conv) {
            return FastIm2colConv(input: x, output: output, weight: weight, bias: bias, conv: conv, threads: threads)
        }
        return nil
    }

    static func referenceKernel(for node: Node, shapes: [[Int]], output: [Int]) throws(InferenceError) -> any PreparedKernel {
        let x = shapes[0]
        switch node.op {
        case .conv2d(let conv): return ReferenceConv2D(input: x, weight: shapes[1], output: output, conv: conv, hasBias: shapes.count > 2 && !shapes[2].isEmpty)
        case .batchNorm(let epsilon): return ReferenceBatchNorm(shape: x, epsilon: epsilon)
        case .affine: return ReferenceAffine(shape: x)
        case .activation(let activation): return ReferenceActivation(activation: activation)
        case .pad(let pads, let value): return ReferencePad(input: x, output: output, pads: pads, value: value)
        case .averagePool(let pool): return ReferencePool(input: x, output: output, pool: pool, average: true)
        case .maxPool(let pool): return ReferencePool(input: x, output: output, pool: pool, average: false)
        case .globalAveragePool: return ReferenceReduceMean(input: x, axes: Array(2..<x.count))
        case .reduceMean(let axes, _):
            let normalized = axes.isEmpty ? Array(x.indices) : axes.map { $0 < 0 ? $0 + x.count : $0 }
            return ReferenceReduceMean(input: x, axes: normalized)
        case .dense: return ReferenceDense(input: x, weight: shapes[1], hasBias: shapes.count > 2 && !shapes[2].isEmpty)
        case .reshape, .flatten, .squeeze, .unsqueeze, .identity: return ReferenceCopy()
        case .transpose(let perm): return ReferenceTranspose(input: x, perm: perm)
        case .softmax(let axis, let coerced): return ReferenceSoftmax(shape: x, axis: axis < 0 ? axis + x.count : axis, coerced: coerced)
        case .binary(let op): return ReferenceBinary(op: op, a: x, b: shapes[1], output: output)
        }
    }
}
