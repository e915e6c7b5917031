import InferenceCore
import MobileNetIR

/// Compares two models on the same seeded inputs, or a model against reference outputs.
public enum Comparison {
    /// The most input values verification generates (256 Mi, 1 GiB of fp32): a declared input
    /// larger than that is refused before anything is allocated.
    public static let sampleLimit = 1 << 28

    /// Runs `reference` and `candidate` on `samples` seeded random inputs (one batch), shaped for
    /// `reference`'s first input in the layout its users feed, with open dimensions set to
    /// `fallbackSide`, and compares every output.
    public static func compare(reference: ModelRunner, candidate: ModelRunner, referenceName: String, candidateName: String,
                               samples: Int, seed: UInt64, tolerance: Double, fallbackSide: Int = 224) throws(InferenceError) -> VerificationReport {
        let layout = reference.defaultLayout
        let inputs = try randomInputs(for: reference, samples: samples, seed: seed, fallbackSide: fallbackSide)
        let expected = try reference.run(inputs, layout: layout).outputs
        let got = try candidate.run(inputs, layout: layout).outputs
        return report(expected: expected, got: got, names: reference.graph.outputs, referenceName: referenceName,
                      candidateName: candidateName, samples: samples, seed: seed, tolerance: tolerance)
    }

    /// `samples` seeded inputs for `model`'s inputs, in the layout its users feed, refusing
    /// declared shapes too large to generate.
    static func randomInputs(for model: ModelRunner, samples: Int, seed: UInt64, fallbackSide: Int) throws(InferenceError) -> [Tensor] {
        var random = RandomInputs(seed: seed)
        var inputs: [Tensor] = []
        for (index, input) in model.graph.inputs.enumerated() {
            let shape = model.inputShape(index, batch: samples, layout: model.defaultLayout, fallbackSide: fallbackSide)
            guard let count = checkedElementCount(shape, limit: sampleLimit) else {
                throw .inputTooLarge(name: input.name, shape: shape, limit: sampleLimit)
            }
            guard count > 0 else { throw .inputShape(name: input.name, expected: input.shape, got: shape) }
            inputs.append(random.tensor(shape: shape))
        }
        return inputs
    }

    /// Builds a report from outputs already computed; outputs whose shapes differ count as
    /// infinitely far apart.
    public static func report(expected: [Tensor], got: [Tensor], names: [String], referenceName: String, candidateName: String,
                              samples: Int, seed: UInt64?, tolerance: Double) -> VerificationReport {
        var outputs: [VerificationReport.OutputComparison] = []
        for (index, (e, g)) in zip(expected, got).enumerated() {
            var candidate = g
            // The same elements under another shape ([N, C] against [N, C, 1, 1]) compare as they are.
            if e.shape != g.shape, e.count == g.count { candidate = Tensor(shape: e.shape, data: g.data) }
            let metrics = e.shape == candidate.shape
                ? Metrics(reference: e, candidate: candidate)
                : Metrics(reference: Tensor(shape: [1], data: [1]), candidate: Tensor(shape: [1], data: [.infinity]))
            outputs.append(.init(name: index < names.count ? names[index] : "output \(index)", shape: e.shape, metrics: metrics))
        }
        return VerificationReport(reference: referenceName, candidate: candidateName, samples: samples, seed: seed,
                                  tolerance: tolerance, outputs: outputs)
    }
}
