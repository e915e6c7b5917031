/// Why a Keras file cannot be imported faithfully. Each case names the layer concerned; the CLI
/// prints `description` after the file name and exits with status 2.
public enum KerasImportError: Error, Equatable, Sendable {
    /// Not a Keras file: an HDF5 file without Keras's layout, or a zip without `config.json` and
    /// `model.weights.h5`.
    case notKeras(String)
    /// The HDF5 or zip container is truncated or corrupt.
    case unreadable(String)
    /// The HDF5 library this reader needs cannot be loaded on this machine.
    case missingLibrary(String)
    /// The model configuration is not valid JSON or lacks what every Keras model has.
    case invalidConfig(String)
    /// A layer class mnconvert does not convert.
    case unsupportedLayer(layer: String, className: String)
    /// A layer option mnconvert does not reproduce exactly.
    case unsupportedOption(layer: String, detail: String)
    /// A layer's weights are missing from the file.
    case missingWeights(layer: String, detail: String)
    /// A weight's shape is not what the layer (or MobileNetV1) needs.
    case shapeMismatch(layer: String, detail: String)
    /// A weight holding NaN or infinity.
    case nonFiniteWeight(layer: String, index: Int)
    /// A weights-only file whose layers are not keras.applications' MobileNet.
    case notMobileNet(String)
}

extension KerasImportError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notKeras(let detail): "not a Keras model or weights file: \(detail)"
        case .unreadable(let detail): "\(detail): the file is truncated or corrupt"
        case .missingLibrary(let detail): detail
        case .invalidConfig(let detail): "the model configuration is invalid: \(detail)"
        case .unsupportedLayer(let layer, let className):
            "layer '\(layer)': class \(className) is not supported; see Docs/IR.md for what mnconvert converts"
        case .unsupportedOption(let layer, let detail): "layer '\(layer)': \(detail)"
        case .missingWeights(let layer, let detail): "layer '\(layer)': \(detail); the file is incomplete"
        case .shapeMismatch(let layer, let detail): "layer '\(layer)': \(detail)"
        case .nonFiniteWeight(let layer, let index):
            "layer '\(layer)' holds NaN or infinity at weight element \(index); the model cannot be converted faithfully"
        case .notMobileNet(let detail): "not a keras.applications MobileNet: \(detail)"
        }
    }
}
