/// Shapes known only in part while a model is imported.
///
/// Exporters write "reshape to the batch size, then 1000" as integer arithmetic on `Shape`
/// (ONNX: `Shape -> Gather -> Concat`, TensorFlow: `Shape -> StridedSlice -> Pack`). Importers
/// evaluate that arithmetic on these elements: each is known, or a dimension of some value that
/// is fixed only when the model runs (a dynamic batch).
public enum ShapeElement: Equatable, Sendable {
    case known(Int64)
    /// Dimension `axis` of the IR value `value`, fixed at run time.
    case dimension(value: String, axis: Int)

    public var knownValue: Int64? {
        if case .known(let v) = self { return v }
        return nil
    }

    /// The target of an IR `reshape` of `input` to these elements: known elements as they are, a
    /// run-time dimension as `0` (copy) when it is the same axis of `input` at the same position,
    /// else as `-1` (inferred) when it is the only run-time element. Nil when neither applies.
    public static func reshapeTarget(_ elements: [ShapeElement], input: String) -> [Int]? {
        let unknown = elements.filter { $0.knownValue == nil }.count
        var target: [Int] = []
        for (position, element) in elements.enumerated() {
            switch element {
            case .known(let v):
                guard abs(v) < 1 << 30 else { return nil }
                target.append(Int(v))
            case .dimension(let value, let axis):
                if value == input && axis == position { target.append(0) }
                else if unknown == 1 { target.append(-1) }
                else { return nil }
            }
        }
        return target
    }
}

extension Graph {
    /// The shape of `value` as far as it is known before the model runs: a dimension that comes
    /// out the same for two different sizes of every open input dimension is known, the others
    /// are run-time dimensions. Nil when the graph cannot be shaped.
    public func symbolicShape(of value: String) -> [ShapeElement]? {
        func shape(batch: Int, side: Int) -> [Int]? {
            var inputShapes: [String: [Int]] = [:]
            for input in inputs {
                inputShapes[input.name] = input.shape.enumerated().map { axis, d in d ?? (axis == 0 ? batch : side) }
            }
            return (try? inferShapes(inputShapes: inputShapes))?[value]
        }
        guard let first = shape(batch: 1, side: 224), let second = shape(batch: 2, side: 256), first.count == second.count else {
            return nil
        }
        return zip(first, second).enumerated().map { axis, pair in
            pair.0 == pair.1 ? .known(Int64(pair.0)) : .dimension(value: value, axis: axis)
        }
    }
}
