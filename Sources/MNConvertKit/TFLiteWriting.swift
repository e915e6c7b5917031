import MobileNetIR
import TFLiteExport

/// The converted graph as TFLite, with what mnconvert knows of it as metadata.
enum TFLiteWriting {
    static func serialize(_ graph: Graph, layerNames: [String: String], inputPath: String) throws(MNConvertError) -> [UInt8] {
        var export = TFLiteExporter.Options()
        export.layerNames = layerNames
        export.metadata = WrittenMetadata.properties(of: graph, inputLayout: .nhwc)
        export.description = WrittenMetadata.description(of: graph)
        do { return try TFLiteExporter.serialize(graph, options: export) } catch {
            throw .input(path: inputPath, message: "cannot be written as TFLite: \(error.description)")
        }
    }
}
