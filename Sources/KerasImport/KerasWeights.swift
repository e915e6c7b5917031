import HDF5
import MobileNetIR

/// Where a Keras file keeps each layer's weights.
///
/// - Legacy HDF5 (Keras 2 and Keras 3's `.h5`): a group per layer name under `model_weights`
///   (full model) or the root (weights only), whose `weight_names` attribute lists its datasets
///   in the layer's own order (`conv1/kernel:0`, `conv1_bn/gamma:0`, ...).
/// - Keras 3 (`.weights.h5`, and inside `.keras`): `layers/<class>[_<n>]/vars/<i>`, named after the
///   layer's class in snake case and numbered per class in the model's layer order
///   (`batch_normalization`, `batch_normalization_1`, ...).
///
/// Weights are returned as stored, in Keras's layouts; the layer table converts them.
struct KerasWeights {
    enum Layout {
        case legacy(root: String)
        case keras3
    }

    let file: HDF5File
    let layout: Layout

    /// The weights of `layer`, which is the `classIndex`-th layer of its class in the model.
    func weights(of layer: KerasLayer, classIndex: Int) throws(KerasImportError) -> [Tensor] {
        let paths = try datasetPaths(of: layer, classIndex: classIndex)
        return try paths.map { (path) throws(KerasImportError) in
            guard file.exists(path) else {
                throw .missingWeights(layer: layer.name, detail: "weight '\(path)' is not in the file")
            }
            do throws(HDF5Error) {
                let (shape, values) = try file.readFloats(path)
                return Tensor(shape: shape, data: values)
            } catch {
                throw .unreadable("reading weight '\(path)' of layer '\(layer.name)' failed (\(error.description))")
            }
        }
    }

    /// The paths of the layer's weight datasets, in the layer's order.
    private func datasetPaths(of layer: KerasLayer, classIndex: Int) throws(KerasImportError) -> [String] {
        do throws(HDF5Error) {
            switch layout {
            case .legacy(let root):
                // A nested model's layers: its group lists every one of their weights, by layer.
                let owner = layer.legacyGroup ?? layer.name
                let group = root.isEmpty ? owner : "\(root)/\(owner)"
                guard file.exists(group), try file.hasAttribute("weight_names", of: group) else { return [] }
                do throws(HDF5Error) {
                    let names = try file.stringArrayAttribute("weight_names", of: group)
                    return names.filter { layer.legacyGroup == nil || $0.hasPrefix(layer.name + "/") }.map { "\(group)/\($0)" }
                } catch .unexpectedType {
                    // A layer without weights has an empty weight_names, which h5py stores as an empty float array.
                    guard try file.numericAttribute("weight_names", of: group).isEmpty else {
                        throw .unexpectedType(object: group, detail: "weight_names is neither strings nor empty")
                    }
                    return []
                }
            case .keras3:
                let group = "\(layer.keras3Prefix)layers/\(KerasWeightsNaming.snakeCase(layer.className))\(classIndex == 0 ? "" : "_\(classIndex)")/vars"
                guard file.exists(group) else { return [] }
                return try file.children(of: group).compactMap(Int.init).sorted().map { "\(group)/\($0)" }
            }
        } catch {
            throw .unreadable("reading the weight list of layer '\(layer.name)' failed (\(error.description))")
        }
    }
}

/// How Keras 3 names a layer's weights group.
public enum KerasWeightsNaming {
    /// Keras's `to_snake_case` of a class name: `DepthwiseConv2D` -> `depthwise_conv2d`,
    /// `ReLU` -> `re_lu`, `BatchNormalization` -> `batch_normalization`.
    public static func snakeCase(_ name: String) -> String {
        let characters = Array(name)
        var result = ""
        for (i, c) in characters.enumerated() {
            if c.isUppercase, i > 0 {
                let previous = characters[i - 1]
                let nextIsLower = i + 1 < characters.count && characters[i + 1].isLowercase
                // A capital that starts a word (followed by a lower-case letter), or follows a lower-case letter.
                if previous.isLowercase || (nextIsLower && previous != "_") { result.append("_") }
            }
            result.append(c)
        }
        return result.lowercased()
    }
}
