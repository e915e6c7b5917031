/// keras.applications' MobileNet as Keras layers, for weights-only files, which carry no
/// configuration: `conv1` (3x3/2 after no padding, `padding="same"`), 13 blocks of
/// `conv_pad_<i>` (ZeroPadding2D(((0, 1), (0, 1))) before stride-2 blocks), `conv_dw_<i>`,
/// `conv_pw_<i>`, each with `_bn` and `_relu` (ReLU6), then global pooling, dropout, `conv_preds`
/// (1x1 conv), reshape and the classifier activation, or nothing after the last block without the top.
///
/// Channel counts come from the file's own kernels (`stem`, `pointwise`), never from a rounded
/// alpha: `int(c * alpha)` for a width such as 0.3 is not `c * (int(32 * 0.3) / 32)`.
struct MobileNetTopology {
    /// Output channels of `conv1` and of each `conv_pw_<i>`.
    var stem: Int
    var pointwise: [Int]
    var depthMultiplier: Int
    var classes: Int?
    var resolution: Int
    var classifierActivation: KerasImporter.ClassifierActivation

    /// The body's pointwise outputs and depthwise strides (MobileNetV1, Howard et al. 2017).
    static let blocks: [(filters: Int, stride: Int)] = [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    ]

    var layers: [KerasLayer] {
        var layers: [KerasLayer] = []
        func add(_ name: String, _ className: String, _ config: [String: Any]) {
            layers.append(KerasLayer(name: name, className: className, config: config, inbound: layers.last.map { [$0.name] } ?? []))
        }
        func bnRelu(_ prefix: String) {
            add("\(prefix)_bn", "BatchNormalization", ["axis": -1, "epsilon": 1e-3, "center": true, "scale": true])
            add("\(prefix)_relu", "ReLU", ["max_value": 6.0])
        }
        add("input", "InputLayer", ["batch_shape": [nil as Int?, resolution, resolution, 3] as [Any?]])
        add("conv1", "Conv2D", ["filters": stem, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "use_bias": false])
        bnRelu("conv1")
        for (index, block) in Self.blocks.enumerated() {
            let i = index + 1
            if block.stride == 2 { add("conv_pad_\(i)", "ZeroPadding2D", ["padding": [[0, 1], [0, 1]]]) }
            add("conv_dw_\(i)", "DepthwiseConv2D", ["kernel_size": [3, 3], "strides": [block.stride, block.stride],
                                                  "padding": block.stride == 1 ? "same" : "valid",
                                                  "depth_multiplier": depthMultiplier, "use_bias": false])
            bnRelu("conv_dw_\(i)")
            add("conv_pw_\(i)", "Conv2D", ["filters": pointwise[index], "kernel_size": [1, 1], "strides": [1, 1],
                                          "padding": "same", "use_bias": false])
            bnRelu("conv_pw_\(i)")
        }
        if let classes {
            add("global_average_pooling2d", "GlobalAveragePooling2D", ["keepdims": true])
            add("dropout", "Dropout", [:])
            add("conv_preds", "Conv2D", ["filters": classes, "kernel_size": [1, 1], "strides": [1, 1], "padding": "same", "use_bias": true])
            add("reshape_2", "Reshape", ["target_shape": [classes]])
            add("predictions", "Activation", ["activation": classifierActivation.rawValue])
        }
        return layers
    }
}
