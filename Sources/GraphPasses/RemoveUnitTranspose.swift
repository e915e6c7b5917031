import MobileNetIR

/// Removes a transpose that only moves axes of size 1 in front of a reshape: the elements keep
/// their order, so the reshape reads the transpose's input directly. (What channels-last sources
/// leave before their classifier's Reshape: `[N, C, 1, 1]` to `[N, 1, 1, C]`, then `[N, C]`.)
///
/// Given: `%2 = transpose(%1, perm)`; `%3 = reshape(%2, shape)`, where the axes of `%1` that are
/// not 1 keep their order in `%2`. Result: `%3 = reshape(%1, shape)`.
/// Refuses when the batch axis moves (its size is open), when `shape` copies (`0`) an axis whose
/// size differs between `%1` and `%2`, or when `%2` has another reader or is a graph output.
public struct RemoveUnitTranspose: GraphPass {
    public let name = "remove-unit-transpose"
    public init() {}

    public func run(_ graph: Graph) -> (graph: Graph, rewrites: Int) {
        guard let shapes = graph.representativeShapes() else { return (graph, 0) }
        var result = graph
        var removed: Set<Int> = []
        let producers = graph.producers(), consumers = graph.consumers()
        for (index, node) in graph.nodes.enumerated() {
            guard case .reshape(let target) = node.op, let transposeIndex = producers[node.inputs[0]],
                  case .transpose(let perm) = graph.nodes[transposeIndex].op, perm.first == 0,
                  graph.hasSingleConsumer(node.inputs[0], consumers) else { continue }
            let source = graph.nodes[transposeIndex].inputs[0]
            guard let before = shapes[source], let after = shapes[node.inputs[0]] else { continue }
            let order = perm.filter { before[$0] != 1 }
            guard order == order.sorted(),
                  target.indices.allSatisfy({ target[$0] != 0 || ($0 < before.count && before[$0] == after[$0]) }) else { continue }
            result.nodes[index].inputs[0] = source
            removed.insert(transposeIndex)
        }
        return (result.removingNodes(removed), removed.count)
    }
}
