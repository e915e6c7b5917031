import MobileNetIR
import ONNXExport

/// The converted graph as ONNX, with what mnconvert knows of it as metadata.
enum ONNXWriting {
    static func serialize(_ graph: Graph, layerNames: [String: String], options: Conversion.Options, inputPath: String) throws(MNConvertError) -> [UInt8] {
        var export = ONNXExporter.Options()
        export.opset = options.opset
        export.inputLayout = options.inputLayout
        export.producerVersion = MNConvertVersion.current
        export.layerNames = layerNames
        export.metadata = exportMetadata(graph, inputLayout: options.inputLayout)
        export.docString = "Converted by mnconvert \(MNConvertVersion.current) from \(graph.metadata.sourceFormat)"
            + (graph.metadata.producer.isEmpty ? "" : " (\(graph.metadata.producer))") + ", verified against the source."
        do { return try ONNXExporter.serialize(graph, options: export) } catch {
            throw .input(path: inputPath, message: "cannot be written as ONNX: \(error.description)")
        }
    }

    /// What mnconvert knows of a converted graph, as the text metadata both writers record: the
    /// graph's properties (what the recogniser found, the preprocessing), where it came from and
    /// the layout the written model takes its input in.
    static func exportMetadata(_ graph: Graph, inputLayout: TensorLayout) -> [String: String] {
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
}
