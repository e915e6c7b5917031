import Foundation
import InferenceCore
import MobileNetIR
import TensorIO

/// Layer-by-layer comparison of two models whose layers are matched by canonical name.
public struct PerLayerReport: Sendable, Encodable {
    public struct LayerComparison: Sendable, Encodable {
        public var layer: String
        public var metrics: Metrics
    }

    public var reference: String
    public var candidate: String
    public var samples: Int
    public var seed: UInt64
    public var tolerance: Double
    public var layers: [LayerComparison]

    /// The first layer whose max |d| / max |ref| exceeds the tolerance.
    public var firstDivergence: LayerComparison? { layers.first { $0.metrics.relativeToRange > tolerance } }
    public var agrees: Bool { firstDivergence == nil }

    enum CodingKeys: String, CodingKey {
        case reference, candidate, samples, seed, tolerance, layers, firstDivergence = "first_divergence", agrees
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reference, forKey: .reference)
        try c.encode(candidate, forKey: .candidate)
        try c.encode(samples, forKey: .samples)
        try c.encode(seed, forKey: .seed)
        try c.encode(tolerance, forKey: .tolerance)
        try c.encode(layers, forKey: .layers)
        if let first = firstDivergence { try c.encode(first, forKey: .firstDivergence) } else { try c.encodeNil(forKey: .firstDivergence) }
        try c.encode(agrees, forKey: .agrees)
    }

    public func json() -> String {
        JSONText.report(self)
    }

    public func text() -> String {
        var lines = ["per-layer: \(candidate) against \(reference), \(samples) sample\(samples == 1 ? "" : "s"), seed \(seed), tolerance \(String(format: "%.1e", tolerance))"]
        for l in layers {
            let flag = l.metrics.relativeToRange > tolerance ? "  <-- exceeds" : ""
            lines.append("  " + l.layer.padding(toLength: 12, withPad: " ", startingAt: 0)
                         + "max|d|/max|ref| " + String(format: "%.2e", l.metrics.relativeToRange)
                         + "  cosine " + String(format: "%.7f", l.metrics.cosine) + flag)
        }
        if let first = firstDivergence {
            lines.append("first divergence: \(first.layer) (max|d|/max|ref| \(String(format: "%.1e", first.metrics.relativeToRange)))")
        } else {
            lines.append("first divergence: none")
        }
        return lines.joined(separator: "\n")
    }
}

extension Comparison {
    /// Runs both models on the same seeded inputs, capturing each named layer's output
    /// (`(canonical name, value in reference, value in candidate)`), and compares layer by layer.
    /// Both graphs compute in NCHW, so captured activations compare directly; outputs of equal
    /// size under different shapes (`[N, C]` against `[N, C, 1, 1]`) compare element by element.
    public static func comparePerLayer(reference: ModelRunner, candidate: ModelRunner,
                                       layers: [(name: String, reference: String, candidate: String)],
                                       referenceName: String, candidateName: String,
                                       samples: Int, seed: UInt64, tolerance: Double, fallbackSide: Int = 224) throws(InferenceError) -> PerLayerReport {
        let inputs = try randomInputs(for: reference, samples: samples, seed: seed, fallbackSide: fallbackSide)
        let layout = reference.defaultLayout
        let a = try reference.run(inputs, layout: layout, capture: layers.map(\.reference)).captured
        let b = try candidate.run(inputs, layout: layout, capture: layers.map(\.candidate)).captured
        var comparisons: [PerLayerReport.LayerComparison] = []
        for layer in layers {
            guard let x = a[layer.reference], let y = b[layer.candidate] else { continue }
            let metrics = x.count == y.count
                ? Metrics(reference: x, candidate: Tensor(shape: x.shape, data: y.data))
                : Metrics(reference: Tensor(shape: [1], data: [1]), candidate: Tensor(shape: [1], data: [.infinity]))
            comparisons.append(.init(layer: layer.name, metrics: metrics))
        }
        return PerLayerReport(reference: referenceName, candidate: candidateName, samples: samples, seed: seed,
                              tolerance: tolerance, layers: comparisons)
    }
}
