import MobileNetIR

/// Removes identity nodes (Identity, and Dropout at inference).
///
/// Given: `%2 = identity(%1); %3 = f(%2)`. Result: `%3 = f(%1)`.
/// When `%2` is a graph output, `%1`'s producer is renamed to `%2` instead, so the graph's
/// outputs keep their names; that identity stays when `%1` is a graph input, a constant, a graph
/// output, or read by another node.
public struct RemoveIdentity: GraphPass {
    public let name = "remove-identity"
    public init() {}

    public func run(_ graph: Graph) -> (graph: Graph, rewrites: Int) {
        // First every identity whose output is internal: its readers read its input instead.
        var renames: [String: String] = [:]
        var result = graph
        result.nodes = graph.nodes.filter { node in
            guard node.op == .identity, !graph.outputs.contains(node.output) else { return true }
            renames[node.output] = node.inputs[0]
            return false
        }
        result = result.renamingInputs(renames)
        let rewrites = renames.count

        // Then identities that produce a graph output: their producer takes over the name.
        let producers = result.producers(), consumers = result.consumers()
        var removed: Set<Int> = []
        for (index, node) in result.nodes.enumerated() where node.op == .identity {
            let source = node.inputs[0]
            guard let producer = producers[source], result.nodes[producer].op != .identity,
                  result.hasSingleConsumer(source, consumers) else { continue }
            result.nodes[producer].outputs = [node.output]
            removed.insert(index)
        }
        return (result.removingNodes(removed), rewrites + removed.count)
    }
}
