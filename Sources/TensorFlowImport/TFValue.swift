import MobileNetIR
import ProtobufFormats

/// A TensorFlow tensor as the IR holds it.
///
/// The IR computes spatial ops in NCHW. A rank-4 TensorFlow tensor in NHWC (TensorFlow's default)
/// is held `permuted`: the IR value is the TensorFlow tensor transposed by `(0, 3, 1, 2)`, so that
/// TensorFlow axis `a` is IR axis `TensorLayout.nhwc.nchwAxis(a)`. Other tensors (NCHW ones, ranks other than
/// 4) are held as they are. Ops that need one or the other ask for it (`nchw`, `tfLayout`), and a
/// transpose is inserted only where the layouts meet.
struct TFValue: Equatable {
    var name: String
    var permuted: Bool
}

extension TFGraphBuilder {
    /// The value as NCHW: a permuted value as it is, an NHWC one through a transpose.
    mutating func nchw(_ value: TFValue, for node: String) -> String {
        guard !value.permuted else { return value.name }
        return emit(node, .transpose(perm: [0, 3, 1, 2]), [value.name], suffix: "to_nchw")
    }

    /// The value in TensorFlow's own layout (what Reshape, MatMul and outputs see).
    mutating func tfLayout(_ value: TFValue, for node: String) -> TFValue {
        guard value.permuted else { return value }
        return TFValue(name: emit(node, .transpose(perm: [0, 2, 3, 1]), [value.name], suffix: "to_nhwc"), permuted: false)
    }

    /// The IR shape of a value, as far as it is known at import time.
    func irShape(_ name: String) -> [ShapeElement]? {
        Graph(inputs: graphInputs, outputs: [], nodes: irNodes, constants: constants,
              metadata: Metadata(sourceFormat: "tensorflow", producer: "", sourceInputLayout: nil)).symbolicShape(of: name)
    }

    /// A TensorFlow-layout constant rearranged to combine element-wise with `value`: for a permuted
    /// value, right-aligned to rank 4 and transposed to NCHW.
    func aligned(_ constant: ProtoTensor, with value: TFValue) -> Tensor {
        let tensor = Tensor(shape: constant.shape, data: constant.floats)
        guard value.permuted, tensor.rank <= 4 else { return tensor }
        let padded = Tensor(shape: Array(repeating: 1, count: 4 - tensor.rank) + tensor.shape, data: tensor.data)
        return padded.transposed([0, 3, 1, 2])
    }
}
