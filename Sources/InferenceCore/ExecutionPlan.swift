import Dispatch
import MobileNetIR

/// A graph resolved for one set of input shapes: the shape of every value, one prepared kernel per
/// node, and one arena that every activation lives in. Built once; a run reads the inputs where
/// the caller holds them, runs the steps and allocates nothing but the tensors it returns. A plan
/// never reads the `Graph` again once built.
///
/// - Memory order: each value is held in the order its producer writes (`ActivationOrder`); where a
///   consumer wants the other order, the plan adds a conversion step, once per value. Returned
///   values are always channels-first, like the graph's shapes.
/// - Arena: a value occupies its range from the step that writes it to the last step that reads
///   it; ranges are then reused (best fit), so MobileNetV1 needs about two activations' worth of
///   memory, not the sum of all. Outputs and `keep`-named values live throughout; graph inputs
///   are not in the arena.
/// - Constants: weights a fast kernel packs are not copied into the arena; constants read by
///   reference kernels get a range of their own for the plan's lifetime.
/// - Fusion: a large depthwise step and the pointwise step that alone reads it run as one
///   `FastDepthwisePointwise` step, so their intermediate value never takes a range.
final class ExecutionPlan {
    struct Step {
        var kernel: any PreparedKernel
        /// Arena slots of the inputs the kernel reads (-1: an absent optional input).
        var inputSlots: [Int]
        var outputSlot: Int
        /// The graph node this step is part of (conversions count toward the node that needs them).
        var node: Int
        /// A depthwise node whose work this step does too (`FastDepthwisePointwise`).
        var fused: Int? = nil
    }

    /// The largest number of values a plan may hold (4 GiB of fp32).
    static let elementLimit = 1 << 30

    let steps: [Step]
    let shapes: [String: [Int]]
    /// Where each slot starts in `arena`, and its element count.
    let slotOffsets: [Int]
    let slotSizes: [Int]
    let arena: UnsafeMutableBufferPointer<Float>
    let inputSlots: [(name: String, slot: Int)]
    /// The channels-first slot of every value a run can return: the graph's outputs and `keep`.
    let returnable: [String: Int]

    /// `graph` has been validated; `prepared` holds the packed weights of the nodes that run on
    /// fast kernels (by node index), whose weight constants `graph` may no longer hold
    /// (`constantShapes` has their shapes).
    init(graph: Graph, constantShapes: [String: [Int]] = [:], prepared: [Int: PreparedWeights] = [:],
         inputShapes: [String: [Int]], keep: Set<String> = [], kernels: KernelChoice = .fast, threads: Int = 1) throws(InferenceError) {
        let shapes: [String: [Int]]
        do {
            shapes = try graph.inferShapes(inputShapes: inputShapes, constantShapes: constantShapes)
        } catch {
            throw .invalidGraph(error)
        }
        self.shapes = shapes

        var sizes: [Int] = []
        func newSlot(_ name: String) -> Int {
            sizes.append(shapes[name]!.reduce(1, *))
            return sizes.count - 1
        }
        var homes: [String: [ActivationOrder: Int]] = [:]
        var constantSlots: [(slot: Int, tensor: Tensor)] = []
        var steps: [Step] = []
        let inputSlots = graph.inputs.map { input in
            let slot = newSlot(input.name)
            homes[input.name] = [.channelsFirst: slot]
            return (name: input.name, slot: slot)
        }
        // The slot holding `name` in `order`, adding a conversion step for node `node` if needed.
        func operand(_ name: String, _ order: ActivationOrder, node: Int) -> Int {
            if name.isEmpty { return -1 }
            if let tensor = graph.constants[name] {
                if let slot = homes[name]?[.channelsFirst] { return slot }
                let slot = newSlot(name)
                constantSlots.append((slot, tensor))
                homes[name] = [.channelsFirst: slot]
                return slot
            }
            let held = homes[name]!
            if let slot = held[order] { return slot }
            let source = held.values.first!
            guard TensorLayout.differ(for: shapes[name]!) else { return source }
            let slot = newSlot(name)
            steps.append(Step(kernel: LayoutConversion(shape: shapes[name]!, to: order), inputSlots: [source], outputSlot: slot, node: node))
            homes[name]![order] = slot
            return slot
        }

        var producer: [String: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            let operandShapes = node.inputs.map { $0.isEmpty ? [] : shapes[$0]! }
            let kernel: any PreparedKernel
            let slots: [Int]
            var outputOrder: ActivationOrder
            if let weights = prepared[index] {
                // Fast kernels read their first input; their weights are packed already.
                kernel = weights.kernel(for: node, input: operandShapes[0], output: shapes[node.output]!, threads: threads)
                slots = [operand(node.inputs[0], kernel.inputOrder, node: index)]
                outputOrder = kernel.outputOrder
            } else {
                let fast = kernels == .fast
                    ? Self.fastElementwiseKernel(for: node, shapes: operandShapes, output: shapes[node.output]!, constants: graph.constants,
                                                 threads: threads)
                    : nil
                if let fast { kernel = fast } else { kernel = try Self.referenceKernel(for: node, shapes: operandShapes, output: shapes[node.output]!) }
                var order = kernel.inputOrder
                outputOrder = kernel.outputOrder
                if kernel.preservesOrder {
                    // It takes its activation (not a constant) as held, channels-last if it can.
                    let held = node.inputs.lazy.filter { graph.constants[$0] == nil }.compactMap { homes[$0] }.first
                    order = held?[.channelsLast] != nil ? .channelsLast : .channelsFirst
                    outputOrder = order
                }
                slots = node.inputs.map { operand($0, order, node: index) }
            }
            let output = newSlot(node.output)
            homes[node.output] = [outputOrder: output]
            producer[node.output] = index
            steps.append(Step(kernel: kernel, inputSlots: slots, outputSlot: output, node: index))
        }
        steps = Self.fusingDepthwisePointwise(steps, keeping: Set(graph.outputs).union(keep), outputs: graph.nodes.map(\.output),
                                              threads: threads)
        var returnable: [String: Int] = [:]
        for name in graph.outputs + keep.sorted() where shapes[name] != nil && returnable[name] == nil {
            returnable[name] = operand(name, .channelsFirst, node: producer[name] ?? 0)
        }

        let permanent = Set(constantSlots.map(\.slot))
        let external = Set(inputSlots.map(\.slot))
        let live = Set(returnable.values).subtracting(external)
        let offsets = try Self.assignOffsets(sizes: sizes, steps: steps, permanent: permanent, live: live, external: external)
        self.steps = steps
        self.slotSizes = sizes
        self.slotOffsets = offsets
        let total = zip(offsets, sizes).filter { $0.0 >= 0 }.map { $0 + $1 }.max() ?? 0
        guard let arena = UnsafeMutableBufferPointer<Float>.allocateZeroedPages(capacity: max(total, 1)) else {
            throw .tooLarge(elements: total)
        }
        self.arena = arena
        self.inputSlots = inputSlots
        self.returnable = returnable
        for (slot, tensor) in constantSlots {
            _ = buffer(slot).initialize(from: tensor.data)
        }
    }

    deinit { arena.deallocatePages() }

    /// `steps` with each fast depthwise step that `FastDepthwisePointwise.worthFusing` and the
    /// fast pointwise step right after it, when that step alone reads its output and the value
    /// is not to be returned (`kept`), made one step. `outputs` names each node's output.
    private static func fusingDepthwisePointwise(_ steps: [Step], keeping kept: Set<String>, outputs: [String], threads: Int) -> [Step] {
        var readers: [Int: Int] = [:]
        for step in steps { for slot in step.inputSlots where slot >= 0 { readers[slot, default: 0] += 1 } }
        var result: [Step] = []
        var index = 0
        while index < steps.count {
            let step = steps[index]
            if index + 1 < steps.count, let depthwise = step.kernel as? FastDepthwiseConv,
               let pointwise = steps[index + 1].kernel as? FastPointwiseConv, FastDepthwisePointwise.worthFusing(depthwise),
               steps[index + 1].inputSlots == [step.outputSlot], readers[step.outputSlot] == 1, !kept.contains(outputs[step.node]) {
                let kernel = FastDepthwisePointwise(depthwise: depthwise, pointwise: pointwise, threads: threads)
                result.append(Step(kernel: kernel, inputSlots: step.inputSlots, outputSlot: steps[index + 1].outputSlot,
                                   node: steps[index + 1].node, fused: step.node))
                index += 2
            } else {
                result.append(step)
                index += 1
            }
        }
        return result
    }

    /// Places every slot in the arena but the `external` ones (graph inputs, read where the caller
    /// holds them: offset -1). `permanent` slots (constants) and `live` slots (returned values)
    /// keep their range for the whole run; any other slot's range is free again after the last
    /// step that reads it, and a later step's output may take it.
    private static func assignOffsets(sizes: [Int], steps: [Step], permanent: Set<Int>, live: Set<Int>,
                                      external: Set<Int>) throws(InferenceError) -> [Int] {
        var lastRead = [Int](repeating: -1, count: sizes.count)
        for (index, step) in steps.enumerated() {
            for slot in step.inputSlots where slot >= 0 { lastRead[slot] = index }
        }
        var offsets = [Int](repeating: -1, count: sizes.count)
        var free: [Range<Int>] = []
        var end = 0
        // Ranges are whole 64-byte lines.
        func span(_ slot: Int) -> Int { max(16, (sizes[slot] + 15) / 16 * 16) }
        func allocate(_ slot: Int) throws(InferenceError) {
            let size = span(slot)
            if let best = free.indices.filter({ free[$0].count >= size }).min(by: { free[$0].count < free[$1].count }) {
                offsets[slot] = free[best].lowerBound
                free[best] = (free[best].lowerBound + size)..<free[best].upperBound
                if free[best].isEmpty { free.remove(at: best) }
            } else {
                offsets[slot] = end
                end += size
                guard end <= elementLimit else { throw .tooLarge(elements: end) }
            }
        }
        func release(_ slot: Int) {
            free.append(offsets[slot]..<(offsets[slot] + span(slot)))
            free.sort { $0.lowerBound < $1.lowerBound }
            var merged: [Range<Int>] = []
            for range in free {
                if let last = merged.last, last.upperBound == range.lowerBound {
                    merged[merged.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    merged.append(range)
                }
            }
            free = merged
        }
        for slot in permanent.union(live).sorted() { try allocate(slot) }
        let kept = permanent.union(live).union(external)
        for (index, step) in steps.enumerated() {
            if offsets[step.outputSlot] < 0 { try allocate(step.outputSlot) }
            var done = Set(step.inputSlots.filter { $0 >= 0 && lastRead[$0] == index })
            if lastRead[step.outputSlot] < index { done.insert(step.outputSlot) }  // never read
            for slot in done.subtracting(kept).sorted() { release(slot) }
        }
        return offsets
    }

    /// Each step's operand views and output view, made once: a run passes them as they are,
    /// after pointing the views of graph inputs (not in the arena) at the caller's tensors.
    private lazy var views: [(operands: [UnsafeBufferPointer<Float>], output: UnsafeMutableBufferPointer<Float>)] =
        steps.map { step in
            (step.inputSlots.map { $0 < 0 || slotOffsets[$0] < 0 ? UnsafeBufferPointer(start: nil, count: 0) : UnsafeBufferPointer(buffer($0)) },
             buffer(step.outputSlot))
        }
    /// Where each graph input appears among the steps' operands, in `inputSlots` order.
    private lazy var inputOperands: [[(step: Int, operand: Int)]] = inputSlots.map { _, slot in
        steps.indices.flatMap { index in
            steps[index].inputSlots.indices.filter { steps[index].inputSlots[$0] == slot }.map { (index, $0) }
        }
    }

    /// A slot's range of the arena (graph inputs have none).
    func buffer(_ slot: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: arena[slotOffsets[slot]..<(slotOffsets[slot] + slotSizes[slot])])
    }

    /// Runs `body` with the operand views of graph inputs pointing at `inputs`' storage.
    private func withInputs<R>(_ inputs: [String: Tensor], _ body: () -> R) -> R {
        func bind(_ index: Int) -> R {
            guard index < inputSlots.count else { return body() }
            return inputs[inputSlots[index].name]!.data.withUnsafeBufferPointer { values in
                for (step, operand) in inputOperands[index] { views[step].operands[operand] = values }
                return bind(index + 1)
            }
        }
        return bind(0)
    }

    /// Runs every step once on `inputs`, returning each step's wall time in ms.
    func timeSteps(_ inputs: [String: Tensor]) -> [Double] {
        withInputs(inputs) {
            steps.indices.map { index in
                let start = DispatchTime.now().uptimeNanoseconds
                steps[index].kernel.run(views[index].operands, views[index].output)
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            }
        }
    }

    /// Runs every step on `inputs` and copies out the values named in `names` (graph outputs or
    /// values the plan was asked to keep). Allocates nothing but the returned tensors.
    func run(_ inputs: [String: Tensor], returning names: Set<String>) -> [String: Tensor] {
        withInputs(inputs) {
            for index in steps.indices { steps[index].kernel.run(views[index].operands, views[index].output) }
            var result: [String: Tensor] = [:]
            for name in names {
                guard let slot = returnable[name] else { continue }
                // A graph input returned as it is (an output or captured value) is the caller's own.
                result[name] = slotOffsets[slot] < 0 ? inputs[name]! : Tensor(shape: shapes[name]!, data: Array(buffer(slot)))
            }
            return result
        }
    }

    /// The fast kernel for an element-wise node, pooling, padding, a layout transpose or softmax when one fits its
    /// shapes; these have no weights to pack, so each plan makes them.
    static func fastElementwiseKernel(for node: Node, shapes: [[Int]], output: [Int], constants: [String: Tensor],
                                      threads: Int) -> (any PreparedKernel)? {
        switch node.op {
        case .globalAveragePool where shapes[0].count == 4: return FastGlobalAveragePool(input: shapes[0])
        case .activation(let activation): return FastActivation(activation: activation, threads: threads)
        case .binary(let op): return FastChannelBinary.make(op: op, node: node, shapes: shapes, output: output, constants: constants, threads: threads)
        case .batchNorm, .affine: return FastChannelAffine.make(node, output: output, constants: constants, threads: threads)
        case .pad(let pads, let value): return FastPad(input: shapes[0], pads: pads, value: value, threads: threads)
        case .transpose(let perm) where shapes[0].count == 4: return OrderTranspose(perm: perm)
        case .softmax(let axis, let coerced):
            let x = shapes[0], axis = axis < 0 ? axis + x.count : axis
            // One contiguous span per softmax: the last axis, or all axes from `axis` when coerced.
            guard coerced || axis == x.count - 1 else { return nil }
            return FastSoftmax(spans: x[..<axis].reduce(1, *), length: x[axis...].reduce(1, *))
        default: return nil
        }
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
        case .concat(let axis): return ReferenceConcat(inputs: shapes, axis: axis < 0 ? axis + x.count : axis)
        case .sigmoid: return ReferenceSigmoid()
        case .softmax(let axis, let coerced): return ReferenceSoftmax(shape: x, axis: axis < 0 ? axis + x.count : axis, coerced: coerced)
        case .binary(let op): return ReferenceBinary(op: op, a: x, b: shapes[1], output: output)
        }
    }
}
