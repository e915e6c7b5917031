import MobileNetIR

/// A tensor decoded from a protobuf message (ONNX's or TensorFlow's TensorProto, an ONNX attribute
/// or Constant node): its shape and its elements widened to `Float` or `Int64`.
///
/// Integer tensors stay integers: shapes, pads and axes are read from them exactly, and the IR,
/// which holds fp32 constants only, sees them through `floats`.
public struct ProtoTensor: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case float([Float])
        case int64([Int64])
    }

    public var name: String
    public var shape: [Int]
    public var values: Values

    public init(name: String = "", shape: [Int], values: Values) {
        self.name = name
        self.shape = shape
        self.values = values
    }

    public var count: Int {
        switch values {
        case .float(let v): v.count
        case .int64(let v): v.count
        }
    }

    /// The elements as `Float`, converting integers.
    public var floats: [Float] {
        switch values {
        case .float(let v): v
        case .int64(let v): v.map { Float($0) }
        }
    }

    /// The elements as `Int64`, or nil for a float tensor.
    public var int64s: [Int64]? {
        if case .int64(let v) = values { return v }
        return nil
    }

    /// The IR's fp32 tensor of the same shape.
    public var tensor: Tensor { Tensor(shape: shape, data: floats) }
}
