/// The order of the axes of a rank-4 activation tensor.
///
/// The IR computes in `nchw` (batch, channels, height, width). A source whose users feed `nhwc`
/// (TensorFlow, Keras, tf2onnx output) keeps that fact in `GraphInput.layout` and
/// `Metadata.sourceInputLayout`, so that `run` accepts the layout its users know.
public enum TensorLayout: String, Sendable, Codable, CaseIterable {
    case nchw
    case nhwc

    /// The permutation that turns a tensor in this layout into `nchw`.
    public var toNCHW: [Int] {
        switch self {
        case .nchw: [0, 1, 2, 3]
        case .nhwc: [0, 3, 1, 2]
        }
    }

    /// The permutation that turns an `nchw` tensor into this layout.
    public var fromNCHW: [Int] {
        switch self {
        case .nchw: [0, 1, 2, 3]
        case .nhwc: [0, 2, 3, 1]
        }
    }

    /// Where each axis of `layout` comes from in this layout: `permutation(to:)[i]` is the axis
    /// of a tensor in this layout that becomes axis `i` in `layout`.
    public func permutation(to layout: TensorLayout) -> [Int] {
        let toNCHW = self.toNCHW
        return layout.fromNCHW.map { toNCHW[$0] }
    }

    /// Axis `axis` of a rank-4 tensor held in this layout is axis `nchwAxis(axis)` of its NCHW
    /// form (importers hold NHWC activations as their NCHW transpose and map their ops' axes so).
    public func nchwAxis(_ axis: Int) -> Int { fromNCHW[axis] }

    /// Axis `nchwAxis` of a rank-4 tensor's NCHW form is axis `axis(ofNCHW:)` in this layout.
    public func axis(ofNCHW nchwAxis: Int) -> Int { toNCHW[nchwAxis] }

    /// Whether the NCHW axes left after removing `nchwAxes` are in this layout's order too: then
    /// reducing or squeezing those axes of a tensor held as its NCHW form needs no transpose back.
    public func keepsOrder(removing nchwAxes: [Int]) -> Bool {
        let kept = (0..<4).filter { !nchwAxes.contains($0) }.map(axis(ofNCHW:))
        return kept == kept.sorted()
    }

    /// Whether the two layouts put the elements of a rank-4 NCHW `shape` at different places (not
    /// when `H * W` or `C` is 1): only then does moving between them move data.
    public static func differ(for shape: [Int]) -> Bool {
        shape.count == 4 && shape[1] > 1 && shape[2] * shape[3] > 1
    }

    /// A rank-4 shape (or any per-axis values) in this layout, rearranged into `layout`.
    public func rearrange<T>(_ axes: [T], to layout: TensorLayout) -> [T] {
        permutation(to: layout).map { axes[$0] }
    }
}
