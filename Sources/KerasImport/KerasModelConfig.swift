import Foundation

/// A Keras model configuration (`model_config` of a legacy .h5, `config.json` of a .keras):
/// its layers in order, with what each reads, and the model's input and output layers.
struct KerasModelConfig {
    var layers: [KerasLayer]
    var inputs: [String]
    var outputs: [String]

    /// Classes of models used as layers: flattened into the model that uses them.
    static let modelClasses: Set<String> = ["Functional", "Model", "Sequential"]

    /// Parses the JSON of Keras 2 (`inbound_nodes: [[["name", 0, 0, {}]]]`) and Keras 3
    /// (`inbound_nodes: [{"args": [{"config": {"keras_history": ["name", 0, 0]}}]}]`),
    /// Functional and Sequential models, with models nested in them at any depth.
    static func parse(_ json: String) throws(KerasImportError) -> KerasModelConfig {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw .invalidConfig("it is not a JSON object")
        }
        return try parse(object, depth: 0)
    }

    private static func parse(_ object: [String: Any], depth: Int) throws(KerasImportError) -> KerasModelConfig {
        guard depth < 16 else { throw .invalidConfig("models nested more than 16 deep") }
        guard let className = object["class_name"] as? String, let config = object["config"] as? [String: Any],
              let rawLayers = config["layers"] as? [[String: Any]] else {
            throw .invalidConfig("no class_name, config or layers")
        }
        var layers: [KerasLayer] = []
        var nestedCounts: [String: Int] = [:]
        for raw in rawLayers {
            guard let layerClass = raw["class_name"] as? String, let layerConfig = raw["config"] as? [String: Any] else {
                throw .invalidConfig("a layer without class_name or config")
            }
            let name = (raw["name"] as? String) ?? (layerConfig["name"] as? String) ?? "\(layerClass)_\(layers.count)"
            var inbound = inboundNames(raw["inbound_nodes"])
            if className == "Sequential", layerClass != "InputLayer", let previous = layers.last { inbound = [previous.name] }
            if modelClasses.contains(layerClass), layerConfig["layers"] != nil {
                let index = nestedCounts[layerClass, default: 0]
                nestedCounts[layerClass] = index + 1
                let group = KerasWeightsNaming.snakeCase(layerClass == "Model" ? "Functional" : layerClass) + (index == 0 ? "" : "_\(index)")
                layers += try flatten(raw, name: name, inbound: inbound, depth: depth, keras3Group: group)
                continue
            }
            layers.append(KerasLayer(name: name, className: layerClass, config: layerConfig, inbound: inbound))
        }
        if className == "Sequential" {
            // A Sequential model may leave its input implicit in the first layer's batch_input_shape.
            if layers.first?.className != "InputLayer", let first = layers.first {
                let shape = first.config["batch_input_shape"] ?? first.config["batch_shape"]
                guard let shape else { throw .invalidConfig("a Sequential model without an input shape") }
                layers.insert(KerasLayer(name: "input", className: "InputLayer", config: ["batch_shape": shape], inbound: []), at: 0)
                layers[1].inbound = ["input"]
            }
            return KerasModelConfig(layers: layers, inputs: [layers[0].name], outputs: [layers[layers.count - 1].name])
        }
        let inputs = layerNames(config["input_layers"]), outputs = layerNames(config["output_layers"])
        guard !inputs.isEmpty, !outputs.isEmpty else { throw .invalidConfig("no input_layers or output_layers") }
        return KerasModelConfig(layers: layers, inputs: inputs, outputs: outputs)
    }

    /// A nested model's layers, to run in place of it: its inputs become aliases of what the
    /// caller feeds it (renamed under the model's name, so they cannot clash), its layers keep
    /// their names and learn where their weights are, and an alias under the model's own name
    /// passes its output on.
    private static func flatten(_ raw: [String: Any], name: String, inbound: [String], depth: Int, keras3Group: String) throws(KerasImportError) -> [KerasLayer] {
        let nested = try parse(raw, depth: depth + 1)
        guard nested.inputs.count == inbound.count else {
            throw .invalidConfig("nested model '\(name)' takes \(nested.inputs.count) inputs and is given \(inbound.count)")
        }
        guard nested.outputs.count == 1 else { throw .invalidConfig("nested model '\(name)' has \(nested.outputs.count) outputs; one is supported") }
        var renamed: [String: String] = [:]
        for input in nested.inputs { renamed[input] = "\(name)/\(input)" }
        var layers: [KerasLayer] = []
        for var layer in nested.layers {
            layer.inbound = layer.inbound.map { renamed[$0] ?? $0 }
            if let index = nested.inputs.firstIndex(of: layer.name), layer.className == "InputLayer" {
                layers.append(KerasLayer(name: renamed[layer.name]!, className: KerasLayer.alias, config: [:], inbound: [inbound[index]]))
                continue
            }
            layer.legacyGroup = layer.legacyGroup ?? name
            layer.keras3Prefix = "layers/\(keras3Group)/" + layer.keras3Prefix
            layers.append(layer)
        }
        let output = renamed[nested.outputs[0]] ?? nested.outputs[0]
        layers.append(KerasLayer(name: name, className: KerasLayer.alias, config: [:], inbound: [output]))
        return layers
    }

    /// The layer names an `inbound_nodes` value reads, in either format.
    private static func inboundNames(_ value: Any?) -> [String] {
        guard let nodes = value as? [Any], let first = nodes.first else { return [] }
        if let keras3 = first as? [String: Any] {
            return historyNames(keras3["args"])
        }
        // Keras 2: [[["name", 0, 0, {}], ...]]
        return (first as? [Any])?.compactMap { ($0 as? [Any])?.first as? String } ?? []
    }

    /// `keras_history` names found anywhere in a Keras 3 call's arguments.
    private static func historyNames(_ value: Any?) -> [String] {
        if let dictionary = value as? [String: Any] {
            if let config = dictionary["config"] as? [String: Any], let history = config["keras_history"] as? [Any],
               let name = history.first as? String {
                return [name]
            }
            return dictionary.values.flatMap(historyNames)
        }
        if let list = value as? [Any] { return list.flatMap(historyNames) }
        return []
    }

    /// `[["name", 0, 0], ...]` or a single `["name", 0, 0]`.
    private static func layerNames(_ value: Any?) -> [String] {
        guard let list = value as? [Any] else { return [] }
        if let name = list.first as? String { return [name] }
        return list.compactMap { ($0 as? [Any])?.first as? String }
    }
}
