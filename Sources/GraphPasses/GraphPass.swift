import MobileNetIR

/// One rewrite of a graph. A pass returns a new graph that computes the same function, and how many
/// rewrites it made; it never changes what the graph's outputs are called.
public protocol GraphPass: Sendable {
    var name: String { get }
    func run(_ graph: Graph) -> (graph: Graph, rewrites: Int)
}

/// What one pass did, for the conversion report.
public struct PassReport: Sendable, Equatable {
    public var pass: String
    public var rewrites: Int
}

/// The canonicalising passes, in order. Each entry says why it sits where it does.
public enum Pipeline {
    public static let canonical: [any GraphPass] = [
        // First, so that every later pattern sees a producer and its consumer side by side.
        RemoveIdentity(),
        // Before anything reads the input: the IR computes in NCHW, and tf2onnx's leading
        // Transpose(0, 3, 1, 2) is the NHWC-to-NCHW conversion the runtime does at the boundary.
        AbsorbInputTranspose(),
        // tf2onnx leaves BatchNorm as Mul + Add after every depthwise conv; as one affine per
        // channel it folds into the conv like a BatchNorm does.
        MulAddToAffine(),
        // Folds need the conv's output to have no other consumer: after identities are gone.
        FoldBatchNorm(),
        FoldAffine(),
        // A zero Pad in front of a conv with explicit padding becomes that conv's padding.
        FoldPad(),
        // An activation follows its conv directly only once BatchNorm and affine are folded.
        FuseActivation(),
        // A layout change of unit axes before a Reshape moves no element; after the folds, which
        // do not look through reshapes, so that exporters write no Transpose for it.
        RemoveUnitTranspose(),
    ]

    /// Runs `passes` in order and reports what each did.
    public static func run(_ graph: Graph, passes: [any GraphPass] = canonical) -> (graph: Graph, report: [PassReport]) {
        var current = graph
        var report: [PassReport] = []
        for pass in passes {
            let (next, rewrites) = pass.run(current)
            current = next.removingUnusedConstants()
            report.append(PassReport(pass: pass.name, rewrites: rewrites))
        }
        return (current, report)
    }
}
