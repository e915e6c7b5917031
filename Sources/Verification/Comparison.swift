import InferenceCore
import MobileNetIR

/// Compares two models on the same seeded inputs, or a model against reference outputs.
public enum Comparison {
    /// The most input values verification generates (256 Mi, 1 GiB of fp32): a declared input
    /// larger than that is refused before anything is allocated.
    public static let sampleLimit = 1 << 28

    /// Runs `reference` and `candidate` on `samples` seeded random inputs, shaped for
    /// `reference`'s first input in the layout its users feed, with open dimensions set to
    /// `fallbackSide`, and compares every output (each model's outputs for the samples joined
    /// along the batch axis). `given` replaces the random inputs (`samples` of them, in the
    /// reference's default layout: an image, say), and the report then has no seed.
    public static func compare(reference: ModelRunner, candidate: ModelRunner, referenceName: String, candidateName: String,
                               samples: Int, seed: UInt64, tolerance: Double, fallbackSide: Int = 224,
                               given: [Tensor]? = nil) throws(InferenceError) -> VerificationReport {
        let layout = reference.defaultLayout
        let inputs: [Tensor]
        if let given { inputs = given } else { inputs = try randomInputs(for: reference, samples: samples, seed: seed, fallbackSide: fallbackSide) }
        // One sample at a time: the same work as one batch, in a quarter of the memory, which
        // keeps a 224 x 224 model's activations in cache.
        var expected: [[Tensor]] = [], got: [[Tensor]] = []
        // The caller's next step (a conversion's checksums and write) gets both cores at once.
        defer { Engine.parkThreads() }
        for sample in 0..<samples {
            let single = inputs.map { $0.sample(sample, of: samples) }
            expected.append(try reference.run(single, layout: layout).outputs)
            got.append(try candidate.run(single, layout: layout).outputs)
        }
        return report(expected: Tensor.stacking(expected), got: Tensor.stacking(got), names: reference.graph.outputs, referenceName: referenceName,
                      candidateName: candidateName, samples: samples, seed: given == nil ? seed : nil, tolerance: tolerance)
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

extension Tensor {
    /// Sample `index` of a batch of `count` along axis 0, keeping the axis.
    func sample(_ index: Int, of count: Int) -> Tensor {
        let size = self.count / count
        var shape = self.shape
        shape[0] = 1
        return Tensor(shape: shape, data: Array(data[(index * size)..<((index + 1) * size)]))
    }

    /// Each output position's tensors of every run, joined along axis 0.
    static func stacking(_ runs: [[Tensor]]) -> [Tensor] {
        guard let first = runs.first else { return [] }
        return first.indices.map { output in
            var shape = first[output].shape
            if shape.isEmpty { shape = [runs.count] } else { shape[0] = runs.reduce(0) { $0 + $1[output].shape[0] } }
            return Tensor(shape: shape, data: runs.flatMap { $0[output].data })
        }
    }
}
