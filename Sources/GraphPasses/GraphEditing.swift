import MobileNetIR

extension Graph {
    /// Whether the value can be rewritten away: exactly one node reads it and it is not a graph output.
    func hasSingleConsumer(_ value: String, _ consumers: [String: [Int]]) -> Bool {
        consumers[value]?.count == 1 && !outputs.contains(value)
    }

    /// The graph with every read of a value in `renames` redirected to its new name.
    func renamingInputs(_ renames: [String: String]) -> Graph {
        guard !renames.isEmpty else { return self }
        func resolve(_ name: String) -> String {
            var current = name
            while let next = renames[current] { current = next }
            return current
        }
        var copy = self
        for i in copy.nodes.indices { copy.nodes[i].inputs = copy.nodes[i].inputs.map(resolve) }
        return copy
    }

    /// The graph without the nodes at `indices` (what a fold leaves when it has absorbed them).
    func removingNodes(_ indices: Set<Int>) -> Graph {
        var copy = self
        copy.nodes = nodes.enumerated().filter { !indices.contains($0.offset) }.map(\.element)
        return copy
    }

    /// A constant name not yet used, derived from `base`.
    func freshConstantName(_ base: String) -> String {
        // Checked name by name: the first candidate is nearly always free, and a set of every
        // name in the graph, built on each call, made the passes quadratic.
        func taken(_ name: String) -> Bool {
            constants[name] != nil || inputs.contains { $0.name == name } || nodes.contains { $0.outputs.contains(name) }
        }
        var name = base, suffix = 1
        while taken(name) {
            name = "\(base)_\(suffix)"
            suffix += 1
        }
        return name
    }

    /// Shapes for the declared inputs, with dimensions the model leaves open set to 1 (batch) or 224
    /// (anything else): the passes need ranks and channel counts, which do not depend on them.
    /// Nil when the graph cannot be shaped that way.
    func representativeShapes() -> [String: [Int]]? {
        var inputShapes: [String: [Int]] = [:]
        for input in inputs {
            inputShapes[input.name] = input.shape.enumerated().map { axis, d in d ?? (axis == 0 ? 1 : 224) }
        }
        return try? inferShapes(inputShapes: inputShapes)
    }
}
