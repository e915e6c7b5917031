import MobileNetIR

/// What mnconvert records about a converted graph in the interchange files it writes (ONNX's
/// `metadata_props` and `doc_string`, TFLite's `metadata` and `description`).
enum WrittenMetadata {
    /// The graph's properties (what the recogniser found, the preprocessing), where it came from
    /// and the layout the written model takes its input in.
    static func properties(of graph: Graph, inputLayout: TensorLayout) -> [String: String] {
        var metadata = graph.metadata.properties
        // The source's own format versions, said as the source's.
        for key in ["onnx_opset", "onnx_ir_version", "tflite_schema_version", "tflite_weights", "tflite_subgraphs"] {
            metadata[key].map { metadata["source_" + key] = $0 }
            metadata[key] = nil
        }
        metadata["source_format"] = graph.metadata.sourceFormat
        metadata["source_producer"] = graph.metadata.producer
        metadata["input_layout"] = inputLayout.rawValue
        if let layout = graph.metadata.sourceInputLayout { metadata["source_input_layout"] = layout.rawValue }
        return metadata
    }

    /// One sentence: which mnconvert converted it, from what.
    static func description(of graph: Graph) -> String {
        "Converted by mnconvert \(MNConvertVersion.current) from \(graph.metadata.sourceFormat)"
            + (graph.metadata.producer.isEmpty ? "" : " (\(graph.metadata.producer))") + ", verified against the source."
    }
}
