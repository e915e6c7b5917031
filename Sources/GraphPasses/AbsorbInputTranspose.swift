import MobileNetIR

/// Moves an NHWC input's leading `transpose(0, 3, 1, 2)` to the runtime's boundary.
///
/// Given: input `%x` (NHWC); `%1 = transpose(%x, perm: [0, 3, 1, 2])`; `%2 = f(%1)`.
/// Result: input `%x` declared NCHW; `%2 = f(%x)`.
/// Applies only when every reader of the input is such a transpose. `Metadata.sourceInputLayout`
/// keeps `nhwc`, so `run` still accepts the layout the source's users feed.
public struct AbsorbInputTranspose: GraphPass {
    public let name = "absorb-input-transpose"
    public init() {}

    public func run(_ graph: Graph) -> (graph: Graph, rewrites: Int) {
        var result = graph
        var rewrites = 0
        let consumers = graph.consumers()
        for (position, input) in graph.inputs.enumerated() where input.layout == .nhwc && !graph.outputs.contains(input.name) {
            let readers = consumers[input.name] ?? []
            guard !readers.isEmpty,
                  readers.allSatisfy({ graph.nodes[$0].op == .transpose(perm: [0, 3, 1, 2]) }),
                  readers.allSatisfy({ !graph.outputs.contains(graph.nodes[$0].output) }) else { continue }
            var renames: [String: String] = [:]
            for reader in readers { renames[graph.nodes[reader].output] = input.name }
            let removed = Set(readers.map { graph.nodes[$0].output })
            result.nodes.removeAll { removed.contains($0.output) }
            result = result.renamingInputs(renames)
            result.inputs[position].shape = TensorLayout.nhwc.rearrange(input.shape, to: .nchw)
            result.inputs[position].layout = .nchw
            rewrites += readers.count
        }
        return (result, rewrites)
    }
}
