import Foundation

/// One layer of a Keras model, as read from its configuration or generated for a weights-only
/// MobileNet file.
struct KerasLayer {
    var name: String
    var className: String
    /// The layer's `config` object, as JSON values.
    var config: [String: Any]
    /// The names of the layers whose outputs this layer reads, in order.
    var inbound: [String]
    /// Where a layer of a nested model keeps its weights: in a legacy file, the group of the
    /// outermost nested model (whose `weight_names` start with this layer's name); in a Keras 3
    /// file, the path of the nested models' own groups (`layers/functional/`). Empty at the top.
    var legacyGroup: String? = nil
    var keras3Prefix = ""

    func string(_ key: String) -> String? { config[key] as? String }

    func bool(_ key: String) -> Bool? { config[key] as? Bool }

    func double(_ key: String) -> Double? { (config[key] as? NSNumber)?.doubleValue }

    func int(_ key: String) -> Int? { (config[key] as? NSNumber)?.intValue }

    /// A pair option (`kernel_size`, `strides`), written by Keras as a list or a single number.
    func pair(_ key: String, default value: [Int]) -> [Int] {
        if let list = config[key] as? [Any] { return list.compactMap { ($0 as? NSNumber)?.intValue } }
        if let single = int(key) { return [single, single] }
        return value
    }

    /// The class of the layers flattening a nested model adds: each passes one value on under a
    /// new name (a nested model's input its caller's tensor, the nested model its output).
    static let alias = "mnconvert.Alias"

    /// The activation a layer applies after itself (`activation: "relu"`), by name.
    var activation: String { (config["activation"] as? String) ?? "linear" }
}
