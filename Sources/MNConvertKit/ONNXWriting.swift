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
        export.metadata = WrittenMetadata.properties(of: graph, inputLayout: options.inputLayout)
        export.docString = WrittenMetadata.description(of: graph)
        do { return try ONNXExporter.serialize(graph, options: export) } catch {
            throw .input(path: inputPath, message: "cannot be written as ONNX: \(error.description)")
        }
    }
}
