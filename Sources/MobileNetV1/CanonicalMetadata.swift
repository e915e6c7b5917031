import MobileNetIR

extension MobileNetV1Model {
    /// The recognition as `.mnw` metadata properties: `mobilenet_v1.alpha`, `.resolution`,
    /// `.classes`, `.activation`, `.depth_multiplier`, and `mobilenet_v1.layer.<canonical name>`
    /// = the source's node name.
    public var properties: [String: String] {
        var p: [String: String] = [
            "mobilenet_v1.alpha": String(alpha),
            "mobilenet_v1.activation": activation,
            "mobilenet_v1.depth_multiplier": String(depthMultiplier),
            "mobilenet_v1.classes": classes.map(String.init) ?? "none",
        ]
        if let resolution { p["mobilenet_v1.resolution"] = String(resolution) }
        for layer in layers { p["mobilenet_v1.layer.\(layer.name)"] = layer.sourceName }
        return p
    }
}
