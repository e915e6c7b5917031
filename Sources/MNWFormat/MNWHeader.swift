import MobileNetIR

/// The JSON header of a `.mnw` file, field for field as `Formats/mnw.md` describes it.
struct MNWHeader: Codable, Equatable {
    var graph: GraphRecord
    var metadata: MetadataRecord
    var tensors: [TensorRecord]

    struct GraphRecord: Codable, Equatable {
        var inputs: [InputRecord]
        var nodes: [NodeRecord]
        var outputs: [String]
    }

    struct InputRecord: Codable, Equatable {
        var name: String
        var shape: [Int?]
        var layout: TensorLayout?
    }

    struct NodeRecord: Codable, Equatable {
        var name: String
        var op: String
        var inputs: [String]
        var output: String
        var attributes: Attributes
    }

    /// Every attribute any op has; each op writes only its own (nil keys are left out).
    struct Attributes: Codable, Equatable {
        var stride: [Int]?
        var dilation: [Int]?
        var groups: Int?
        var padding: String?
        var pads: [Int]?
        var activation: String?
        var clipMin: Float?
        var clipMax: Float?
        var epsilon: Float?
        var value: Float?
        var kernel: [Int]?
        var countIncludePad: Bool?
        var ceilMode: Bool?
        var axes: [Int]?
        var keepDims: Bool?
        var shape: [Int]?
        var axis: Int?
        var perm: [Int]?
        var coerced: Bool?

        enum CodingKeys: String, CodingKey {
            case stride, dilation, groups, padding, pads, activation
            case clipMin = "clip_min", clipMax = "clip_max"
            case epsilon, value, kernel
            case countIncludePad = "count_include_pad", ceilMode = "ceil_mode"
            case axes, keepDims = "keep_dims", shape, axis, perm, coerced
        }
    }

    struct MetadataRecord: Codable, Equatable {
        var sourceFormat: String
        var producer: String
        var sourceInputLayout: TensorLayout?
        var properties: [String: String]

        enum CodingKeys: String, CodingKey {
            case sourceFormat = "source_format", producer
            case sourceInputLayout = "source_input_layout", properties
        }
    }

    struct TensorRecord: Codable, Equatable {
        var name: String
        var dtype: String
        var shape: [Int]
        var offset: Int
        var length: Int
        var crc32: UInt32
    }
}
