/// How a model expects an image, recorded in its metadata: an 8-bit pixel value `p` of channel `c`
/// (in `channels` order) becomes `(p * scale - mean[c]) / std[c]`. Before that, the centre
/// `cropFraction` of the image's shorter side is kept and resized to the model's resolution.
///
/// | name | scale | mean | std | channels | crop | used by |
/// |---|---|---|---|---|---|---|
/// | `keras` | 1/127.5 | 1 | 1 | RGB | 1 | keras.applications MobileNet (`x / 127.5 - 1`) |
/// | `tf-slim` | 1/127.5 | 1 | 1 | RGB | 0.875 | TF-slim MobileNets (inception preprocessing, 1001 classes) |
/// | `torch` | 1/255 | 0.485 0.456 0.406 | 0.229 0.224 0.225 | RGB | 0.875 | torchvision-style ImageNet models |
/// | `caffe` | 1 | 103.94 116.78 123.68 | 1/0.017 | BGR | 0.875 | MobileNet-Caffe (`(x - mean) * 0.017`) |
/// | `none` | 1 | 0 | 1 | RGB | 1 | pixel values as they are |
public struct Preprocessing: Sendable, Equatable {
    public enum Channels: String, Sendable, CaseIterable {
        case rgb, bgr
    }

    /// One of the conventions above, or `custom`.
    public var name: String
    public var scale: Float
    public var mean: [Float]
    public var std: [Float]
    public var channels: Channels
    public var cropFraction: Double

    public init(name: String = "custom", scale: Float = 1, mean: [Float] = [0, 0, 0], std: [Float] = [1, 1, 1],
                channels: Channels = .rgb, cropFraction: Double = 1) {
        self.name = name
        self.scale = scale
        self.mean = mean
        self.std = std
        self.channels = channels
        self.cropFraction = cropFraction
    }

    public static let keras = Preprocessing(name: "keras", scale: 1 / 127.5, mean: [1, 1, 1])
    public static let tfSlim = Preprocessing(name: "tf-slim", scale: 1 / 127.5, mean: [1, 1, 1], cropFraction: 0.875)
    public static let torch = Preprocessing(name: "torch", scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], cropFraction: 0.875)
    public static let caffe = Preprocessing(name: "caffe", mean: [103.94, 116.78, 123.68], std: [1 / 0.017, 1 / 0.017, 1 / 0.017],
                                            channels: .bgr, cropFraction: 0.875)
    public static let none = Preprocessing(name: "none")

    /// The named conventions, by name.
    public static let named: [String: Preprocessing] = ["keras": .keras, "tf-slim": .tfSlim, "torch": .torch, "caffe": .caffe, "none": .none]

    /// The metadata properties that record it: `preprocess.name`, `.scale`, `.mean`, `.std`,
    /// `.channels`, `.crop`.
    public var properties: [String: String] {
        func list(_ values: [Float]) -> String { values.map { "\($0)" }.joined(separator: ",") }
        return ["preprocess.name": name, "preprocess.scale": "\(scale)", "preprocess.mean": list(mean), "preprocess.std": list(std),
                "preprocess.channels": channels.rawValue, "preprocess.crop": "\(cropFraction)"]
    }

    /// What `properties` recorded, or nil when they hold none (or not all of it).
    public init?(properties: [String: String]) {
        func list(_ key: String) -> [Float]? {
            guard let values = properties[key]?.split(separator: ",").compactMap({ Float($0) }), values.count == 3 else { return nil }
            return values
        }
        guard let name = properties["preprocess.name"], let scale = properties["preprocess.scale"].flatMap(Float.init),
              let mean = list("preprocess.mean"), let std = list("preprocess.std"), std.allSatisfy({ $0 != 0 }),
              let channels = properties["preprocess.channels"].flatMap(Channels.init), let crop = properties["preprocess.crop"].flatMap(Double.init),
              crop > 0, crop <= 1 else { return nil }
        self.init(name: name, scale: scale, mean: mean, std: std, channels: channels, cropFraction: crop)
    }
}

extension Metadata {
    /// The preprocessing the source says (or the user declared) its model expects, if any.
    public var preprocessing: Preprocessing? {
        get { Preprocessing(properties: properties) }
        set {
            properties = properties.filter { !$0.key.hasPrefix("preprocess.") }
            if let newValue { properties.merge(newValue.properties) { _, new in new } }
        }
    }
}
