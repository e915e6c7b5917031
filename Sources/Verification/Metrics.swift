import Foundation
import MobileNetIR

/// How closely a candidate tensor matches a reference, all in fp32 data and never on sorted values.
///
/// Axis 0 is the batch: top-1 and top-5 are decided per sample over the rest of the tensor
/// (for a classifier, over its classes).
public struct Metrics: Sendable, Equatable, Encodable {
    /// max |candidate - reference|.
    public var maxAbsDiff: Double
    /// max |reference|: the range the difference is measured against.
    public var maxAbsReference: Double
    /// `maxAbsDiff / maxAbsReference`: the headline number and what `--tolerance` bounds.
    public var relativeToRange: Double
    /// `10 log10(sum ref^2 / sum diff^2)`; infinite when the two are identical.
    public var snrDB: Double
    /// Cosine similarity of the two tensors as vectors.
    public var cosine: Double
    /// Samples whose argmax agrees, out of `samples` (nil when a sample has one element).
    public var top1Agreement: Int?
    /// Samples whose five largest elements are the same set (nil below six elements per sample).
    public var top5Agreement: Int?
    public var samples: Int

    enum CodingKeys: String, CodingKey {
        case maxAbsDiff = "max_abs_diff", maxAbsReference = "max_abs_reference", relativeToRange = "relative_to_range"
        case snrDB = "snr_db", cosine, top1Agreement = "top1_agreement", top5Agreement = "top5_agreement", samples
    }

    /// Compares `candidate` with `reference`; the shapes must be equal.
    public init(reference: Tensor, candidate: Tensor) {
        precondition(reference.shape == candidate.shape, "shapes \(reference.shape) and \(candidate.shape)")
        var maxDiff = 0.0, maxRef = 0.0, signal = 0.0, noise = 0.0, dot = 0.0, candidateEnergy = 0.0
        for (r, c) in zip(reference.data, candidate.data) {
            let (r, c) = (Double(r), Double(c))
            let d = c - r
            maxDiff = Swift.max(maxDiff, abs(d).isNaN ? .infinity : abs(d))
            maxRef = Swift.max(maxRef, abs(r))
            signal += r * r
            noise += d * d
            dot += r * c
            candidateEnergy += c * c
        }
        maxAbsDiff = maxDiff
        maxAbsReference = maxRef
        relativeToRange = maxDiff == 0 ? 0 : (maxRef == 0 ? .infinity : maxDiff / maxRef)
        snrDB = noise == 0 ? .infinity : (signal == 0 ? -.infinity : 10 * log10(signal / noise))
        let norms = (signal * candidateEnergy).squareRoot()
        cosine = norms == 0 ? (signal == candidateEnergy ? 1 : 0) : dot / norms

        samples = reference.rank == 0 ? 1 : reference.shape[0]
        let perSample = samples == 0 ? 0 : reference.count / samples
        var top1 = 0, top5 = 0
        for s in 0..<samples {
            let range = (s * perSample)..<((s + 1) * perSample)
            let r = Array(reference.data[range]), c = Array(candidate.data[range])
            if topK(r, 1) == topK(c, 1) { top1 += 1 }
            if topK(r, 5) == topK(c, 5) { top5 += 1 }
        }
        top1Agreement = perSample > 1 ? top1 : nil
        top5Agreement = perSample > 5 ? top5 : nil
    }

    /// Whether the candidate agrees: within `tolerance` of the reference's range, and the same
    /// argmax for every sample.
    public func agrees(tolerance: Double) -> Bool { disagreement(tolerance: tolerance) == nil }

    /// Why the candidate does not agree, as the end of a sentence about it, or nil when it does.
    public func disagreement(tolerance: Double) -> String? {
        if !(relativeToRange <= tolerance) {
            return "differs by \(Self.format(relativeToRange)) of its range, more than the tolerance \(Self.format(tolerance))"
        }
        if let top1 = top1Agreement, top1 != samples { return "has another top-1 in \(samples - top1) of \(samples) samples" }
        return nil
    }

    /// A metric as reports print it: `0`, `inf`, or three significant digits.
    static func format(_ value: Double) -> String {
        value == 0 ? "0" : (value.isInfinite ? "inf" : String(format: "%.2e", value))
    }
}

/// The indices of `values` from the largest down: NaN ranks above every number (as numpy's
/// argmax takes it, so a NaN output never agrees with a number), ties go to the lower index.
public func ranking(_ values: some RandomAccessCollection<Float>) -> [Int] {
    let scores = Array(values)
    return scores.indices.sorted { a, b in
        let (x, y) = (scores[a], scores[b])
        if x.isNaN != y.isNaN { return x.isNaN }
        if x != y, !x.isNaN { return x > y }
        return a < b
    }
}

/// The indices of the `k` largest values, as a set (`ranking`'s order).
func topK(_ values: [Float], _ k: Int) -> Set<Int> {
    Set(ranking(values).prefix(k))
}
