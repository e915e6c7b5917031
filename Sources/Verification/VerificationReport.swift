import Foundation
import TensorIO

/// The outcome of comparing two models (or a model and reference outputs), output by output.
public struct VerificationReport: Sendable, Encodable {
    public struct OutputComparison: Sendable, Encodable {
        public var name: String
        public var shape: [Int]
        public var metrics: Metrics
    }

    /// What was compared: `"imported vs optimised"`, or the two paths.
    public var reference: String
    public var candidate: String
    public var samples: Int
    public var seed: UInt64?
    public var tolerance: Double
    public var outputs: [OutputComparison]

    public init(reference: String, candidate: String, samples: Int, seed: UInt64?, tolerance: Double, outputs: [OutputComparison]) {
        self.reference = reference
        self.candidate = candidate
        self.samples = samples
        self.seed = seed
        self.tolerance = tolerance
        self.outputs = outputs
    }

    /// Whether every output agrees within the tolerance with the same top-1.
    public var agrees: Bool { outputs.allSatisfy { $0.metrics.agrees(tolerance: tolerance) } }

    /// Why the models disagree, on one line (the first output that does), or nil when they agree.
    public var disagreement: String? {
        for output in outputs {
            if let reason = output.metrics.disagreement(tolerance: tolerance) {
                return "\(candidate) does not compute what \(reference) computes: output '\(output.name)' \(reason)"
            }
        }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case reference, candidate, samples, seed, tolerance, outputs, agrees
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reference, forKey: .reference)
        try c.encode(candidate, forKey: .candidate)
        try c.encode(samples, forKey: .samples)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encode(tolerance, forKey: .tolerance)
        try c.encode(outputs, forKey: .outputs)
        try c.encode(agrees, forKey: .agrees)
    }

    /// The report as indented JSON with sorted keys; an infinite SNR is written `"inf"`.
    public func json() -> String {
        JSONText.report(self)
    }

    /// The report as a few aligned lines for a terminal.
    public func text() -> String {
        var lines = ["verification: \(candidate) against \(reference), \(samples) sample\(samples == 1 ? "" : "s")"
                     + (seed.map { ", seed \($0)" } ?? "") + ", tolerance \(Metrics.format(tolerance)) of range"]
        for output in outputs {
            let m = output.metrics
            var line = "  \(output.name) \(output.shape): max|d| \(Metrics.format(m.maxAbsDiff)), max|d|/max|ref| \(Metrics.format(m.relativeToRange)), "
                + "SNR \(m.snrDB.isInfinite ? "inf" : String(format: "%.1f", m.snrDB)) dB, cosine \(String(format: "%.7f", m.cosine))"
            if let top1 = m.top1Agreement { line += ", top-1 \(top1)/\(m.samples)" }
            if let top5 = m.top5Agreement { line += ", top-5 \(top5)/\(m.samples)" }
            lines.append(line)
        }
        lines.append(agrees ? "result: agree" : "result: DISAGREE")
        return lines.joined(separator: "\n")
    }
}
