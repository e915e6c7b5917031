import MobileNetIR

/// Why the core cannot run a graph on the inputs it was given.
public enum InferenceError: Error, Equatable, Sendable {
    /// The graph is malformed or its ops cannot combine these shapes.
    case invalidGraph(IRError)
    /// No tensor was given for a graph input.
    case missingInput(String)
    /// The tensor given for an input has the wrong rank or channel count.
    case inputShape(name: String, expected: [Int?], got: [Int])
    /// The same, for a tensor given in `layout` (the caller's), both shapes in that layout.
    case inputShapeInLayout(name: String, layout: TensorLayout, expected: [Int?], got: [Int])
    /// An input larger than the caller accepts to generate or feed.
    case inputTooLarge(name: String, shape: [Int], limit: Int)
    /// The activations for these input shapes would exceed the memory the core allows itself.
    case tooLarge(elements: Int)
}

extension InferenceError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidGraph(let error): error.description
        case .missingInput(let name): "no tensor given for input '\(name)'"
        case .inputShape(let name, let expected, let got):
            "input '\(name)' has shape \(got), the model expects \(Self.shape(expected))"
        case .inputShapeInLayout(let name, let layout, let expected, let got):
            "input '\(name)' has shape \(got) read as \(layout), the model expects \(Self.shape(expected)) in \(layout)"
        case .inputTooLarge(let name, let shape, let limit):
            "input '\(name)' would have shape \(shape), more than the \(limit) values mnconvert feeds; declare a smaller input"
        case .tooLarge(let elements): "running this model on these inputs needs \(elements) activation values, more than the core allows"
        }
    }

    /// `[?, 224, 224, 3]`: open dimensions as `?`.
    static func shape(_ dims: [Int?]) -> String {
        "[" + dims.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
    }
}
