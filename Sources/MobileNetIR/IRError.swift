/// Why a graph is not a valid IR graph, or cannot run on the shapes it is given.
///
/// Importers produce valid graphs, so these reach users only from a damaged or hand-made file; each
/// case names the node and value concerned.
public enum IRError: Error, Equatable, Sendable {
    /// A node reads a value that is neither an input, a constant nor the output of an earlier node.
    case undefinedValue(node: String, value: String)
    /// Two producers for one value name.
    case duplicateValue(String)
    /// A graph output names a value nothing defines.
    case undefinedOutput(String)
    /// A node has the wrong number of inputs or outputs for its op.
    case arity(node: String, op: String, detail: String)
    /// An op that needs a constant operand (a weight, a BatchNorm statistic) got a computed value.
    case notConstant(node: String, value: String)
    /// Shapes that the op cannot combine.
    case shapeMismatch(node: String, op: String, detail: String)
    /// An attribute out of its range (a zero stride, a permutation that is not one).
    case invalidAttribute(node: String, detail: String)
    /// A tensor larger than the core accepts.
    case tooLarge(value: String, shape: [Int])
}

extension IRError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .undefinedValue(let node, let value): "node '\(node)' reads '\(value)', which nothing defines before it"
        case .duplicateValue(let value): "value '\(value)' is defined twice"
        case .undefinedOutput(let value): "graph output '\(value)' is not defined"
        case .arity(let node, let op, let detail): "node '\(node)' (\(op)): \(detail)"
        case .notConstant(let node, let value): "node '\(node)' needs '\(value)' to be a constant"
        case .shapeMismatch(let node, let op, let detail): "node '\(node)' (\(op)): \(detail)"
        case .invalidAttribute(let node, let detail): "node '\(node)': \(detail)"
        case .tooLarge(let value, let shape): "'\(value)' would have shape \(shape), larger than mnconvert accepts"
        }
    }
}
