/// One operation of the IR.
///
/// Activations are `[N, C, H, W]` (batch, channels, height, width) wherever an op is spatial. Each
/// case documents its inputs in order; an empty input name means an absent optional input. Every
/// attribute mirrors the ONNX attribute of the same name, with ONNX's defaults.
public enum Op: Sendable, Equatable {
    /// 2-D convolution, cross-correlation as in every framework.
    /// Inputs: `x [N, C, H, W]`, `weight [O, C/groups, kH, kW]`, optional `bias [O]`.
    /// Output `[N, O, H', W']`. Depthwise is `groups == C` (with `O = C * multiplier`).
    case conv2d(Conv2D)
    /// Inference BatchNorm over axis 1: `y = scale * (x - mean) / sqrt(variance + epsilon) + bias`.
    /// Inputs: `x [N, C, ...]`, `scale [C]`, `bias [C]`, `mean [C]`, `variance [C]`.
    case batchNorm(epsilon: Float)
    /// Per-channel `y = x * scale[c] + shift[c]` over axis 1.
    /// Inputs: `x [N, C, ...]`, `scale [C]`, `shift [C]`.
    case affine
    /// Element-wise activation. Input `x`, any shape.
    case activation(Activation)
    /// Constant padding. `pads` holds the begin count of every axis, then the end count of every
    /// axis (ONNX order); negative counts crop. Input `x`, any rank equal to `pads.count / 2`.
    case pad(pads: [Int], value: Float)
    /// Average pooling over H and W. Input `x [N, C, H, W]`.
    case averagePool(Pool)
    /// Max pooling over H and W. Input `x [N, C, H, W]`; padding never wins the max.
    case maxPool(Pool)
    /// Mean over H and W, keeping them as 1: `[N, C, H, W] -> [N, C, 1, 1]`.
    case globalAveragePool
    /// Mean over `axes` (negative counts from the end), kept as 1 when `keepDims`.
    case reduceMean(axes: [Int], keepDims: Bool)
    /// Fully connected over the last axis: `y[..., o] = sum_k x[..., k] * weight[o, k] + bias[o]`.
    /// Inputs: `x [..., K]`, `weight [O, K]`, optional `bias [O]`.
    case dense
    /// Reshape with ONNX semantics: `0` copies the input's dimension, `-1` is inferred.
    case reshape(shape: [Int])
    /// `[d0, ..., dn] -> [d0 * ... * d(axis-1), d(axis) * ... * dn]`.
    case flatten(axis: Int)
    /// Removes the listed unit axes; an empty list removes every unit axis.
    case squeeze(axes: [Int])
    /// Inserts unit axes at the listed positions of the output.
    case unsqueeze(axes: [Int])
    /// Permutes axes: output axis `i` is input axis `perm[i]`.
    case transpose(perm: [Int])
    /// Softmax along `axis`. When `coerced` (ONNX before opset 13), the input is seen as the 2-D
    /// matrix `[d0 * ... * d(axis-1), d(axis) * ... * dn]` and each row is normalised as a whole.
    case softmax(axis: Int, coerced: Bool)
    /// Element-wise arithmetic on two inputs with numpy broadcasting.
    case binary(BinaryOp)
    /// Joins its inputs along `axis` (negative counts from the end); the other axes must agree.
    /// Inputs: one or more values of one rank. What a detector does with its heads' outputs.
    case concat(axis: Int)
    /// Element-wise `1 / (1 + exp(-x))`: a multi-label or detection head's scores. Input `x`.
    case sigmoid
    /// Passes its input through. Also what `Dropout` is at inference.
    case identity

    /// A short, stable name for messages and the .mnw header.
    public var name: String {
        switch self {
        case .conv2d: "conv2d"
        case .batchNorm: "batch_norm"
        case .affine: "affine"
        case .activation: "activation"
        case .pad: "pad"
        case .averagePool: "average_pool"
        case .maxPool: "max_pool"
        case .globalAveragePool: "global_average_pool"
        case .reduceMean: "reduce_mean"
        case .dense: "dense"
        case .reshape: "reshape"
        case .flatten: "flatten"
        case .squeeze: "squeeze"
        case .unsqueeze: "unsqueeze"
        case .transpose: "transpose"
        case .softmax: "softmax"
        case .binary(let op): op.rawValue
        case .concat: "concat"
        case .sigmoid: "sigmoid"
        case .identity: "identity"
        }
    }
}

/// Attributes of `Op.conv2d`.
public struct Conv2D: Sendable, Equatable {
    /// Vertical and horizontal stride.
    public var stride: [Int]
    public var padding: Padding
    /// Vertical and horizontal dilation.
    public var dilation: [Int]
    public var groups: Int
    /// Applied to the output after the bias; what fusing ReLU / ReLU6 / Clip produces.
    public var activation: Activation

    public init(stride: [Int] = [1, 1], padding: Padding = .explicit([0, 0, 0, 0]),
                dilation: [Int] = [1, 1], groups: Int = 1, activation: Activation = .none) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.activation = activation
    }
}

/// Attributes of `Op.averagePool` and `Op.maxPool`.
public struct Pool: Sendable, Equatable {
    /// Window height and width.
    public var kernel: [Int]
    public var stride: [Int]
    public var padding: Padding
    /// Average pooling only: whether padded positions count in the divisor (ONNX
    /// `count_include_pad`; TensorFlow never counts them).
    public var countIncludePad: Bool
    /// Output size rounded up instead of down (ONNX `ceil_mode`).
    public var ceilMode: Bool

    public init(kernel: [Int], stride: [Int], padding: Padding, countIncludePad: Bool = false, ceilMode: Bool = false) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.countIncludePad = countIncludePad
        self.ceilMode = ceilMode
    }
}

/// How a spatial op pads its input.
public enum Padding: Sendable, Equatable {
    /// `[top, left, bottom, right]`, the ONNX `pads` order for two spatial axes.
    case explicit([Int])
    /// TensorFlow `SAME` (ONNX `SAME_UPPER`): output `ceil(in / stride)`, total padding
    /// `max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0)`, the odd pixel at the bottom/right.
    case sameUpper
    /// ONNX `SAME_LOWER`: as `sameUpper`, the odd pixel at the top/left.
    case sameLower

    /// `[top, left, bottom, right]` for an input of `inputSize` (height, width).
    public func resolved(inputSize: [Int], kernel: [Int], stride: [Int], dilation: [Int]) -> [Int] {
        switch self {
        case .explicit(let pads):
            return pads
        case .sameUpper, .sameLower:
            var begin = [0, 0], end = [0, 0]
            for axis in 0..<2 {
                let out = (inputSize[axis] + stride[axis] - 1) / stride[axis]
                let effectiveKernel = (kernel[axis] - 1) * dilation[axis] + 1
                let total = max((out - 1) * stride[axis] + effectiveKernel - inputSize[axis], 0)
                let small = total / 2, large = total - total / 2
                (begin[axis], end[axis]) = self == .sameUpper ? (small, large) : (large, small)
            }
            return [begin[0], begin[1], end[0], end[1]]
        }
    }
}

/// An element-wise activation.
public enum Activation: Sendable, Equatable {
    case none
    /// `max(x, 0)`.
    case relu
    /// `min(max(x, 0), 6)`: what TensorFlow and Keras MobileNets use. Never lowered to ReLU.
    case relu6
    /// `min(max(x, min), max)`.
    case clip(min: Float, max: Float)

    /// The canonical form: `clip(0, 6)` is `relu6` and `clip(0, +inf)` is `relu`.
    public var canonical: Activation {
        switch self {
        case .clip(0, 6): .relu6
        case .clip(0, .infinity): .relu
        default: self
        }
    }

    /// The bounds this activation clamps to.
    public var bounds: (lower: Float, upper: Float) {
        switch self {
        case .none: (-.infinity, .infinity)
        case .relu: (0, .infinity)
        case .relu6: (0, 6)
        case .clip(let lo, let hi): (lo, hi)
        }
    }
}

/// Element-wise binary arithmetic.
public enum BinaryOp: String, Sendable, Equatable, CaseIterable {
    case add, sub, mul, div
}
