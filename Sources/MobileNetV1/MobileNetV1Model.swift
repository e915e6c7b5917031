import MobileNetIR

/// What the recogniser finds in a canonical graph: MobileNetV1's hyper-parameters and the IR
/// node behind each canonical layer.
public struct MobileNetV1Model: Sendable, Equatable {
    /// One canonical layer: `conv1`, `conv_dw_<i>`, `conv_pw_<i>`, `pool`, `classifier`, `softmax`.
    public struct Layer: Sendable, Equatable {
        public var name: String
        /// The index of the IR node in the canonical graph.
        public var node: Int
        /// The source model's name for it.
        public var sourceName: String
        /// The IR value the layer outputs (its activation already applied when fused).
        public var output: String
    }

    /// Width multiplier: pointwise outputs over the paper's (`conv_pw_13` / 1024).
    public var alpha: Double
    /// The input side the graph declares, nil when the source leaves it open.
    public var resolution: Int?
    /// Classifier outputs, nil without the top.
    public var classes: Int?
    /// `relu6`, `relu`, or `mixed`.
    public var activation: String
    public var depthMultiplier: Int
    /// The body and, when present, the standard top (`pool`, `classifier`, `softmax`).
    public var layers: [Layer]
    /// Every computing node after them (a retrained classifier, a detector's box and class
    /// convolutions): `head_1`, `head_2`, ... in graph order.
    public var head: [Layer] = []
    /// Each graph output and the deepest of `layers` it is computed from.
    public var outputs: [Output] = []

    public struct Output: Sendable, Equatable {
        public var name: String
        public var from: String
    }

    /// The body's, the top's and the head's layers, in order.
    public var allLayers: [Layer] { layers + head }

    public func layer(_ name: String) -> Layer? { allLayers.first { $0.name == name } }
}

/// Why a graph is not MobileNetV1: where the match stopped, as the user reads it.
public struct RecognitionFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
}
