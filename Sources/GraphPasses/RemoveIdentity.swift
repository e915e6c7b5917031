import MobileNetIR

/// Removes identity nodes (Identity, and Dropout at inference).
///
/// Given: `%2 = identity(%1); %3 = f(%2)`. Result: `%3 = f(%1)`.
/// When `%2` is a graph output, `%1`'s producer is renamed to `%2` instead, so the graph's
/// outputs keep their names; the identity stays when `%1` is a graph input, a constant, or
/// itself a graph output.
public struct RemoveIdentity: GraphPass {
    public let name = "remove-identity"
    public init() {}

    public func run(_ graph: Graph) -> (graph: Graph, rewrites: Int) {
        var renames: [String: String] = [:]
        var outputRenames: [String: String] = [:]  // producer output -> graph output name
        var kept: [Node] = []
        let producers = graph.producers()
        let consumers = graph.consumers()
        var rewrites = 0
        for node in graph.nodes {
            guard node.op == .identity else { kept.append(node); continue }
            let source = node.inputs[0]
            if !graph.outputs.contains(node.output) {
                renames[node.output] = source
                rewrites += 1
            } else if producers[source] != nil, !graph.outputs.contains(source), consumers[source]?.count == 1 {
                outputRenames[source] = node.output
                rewrites += 1
            } else {
                kept.append(node)
            }
        }
        var result = graph
        result.nodes = kept.map { node in
            var node = node
            node.outputs = node.outputs.map { outputRenames[$0] ?? $0 }
            return node
        }
        result = result.renamingInputs(renames).renamingInputs(outputRenames)
        return (result, rewrites)
    }
}
