import FlatBuffers
import InferenceCore
import MobileNetIR
import TFLiteImport
import TestSupport
import XCTest

/// The importer alone (no passes): models TensorFlow's converter wrote must compute what TFLite's
/// interpreter computed; small models built here pin down the format's corners.
final class TFLiteImportTests: XCTestCase {
    let input = "keras-tf2onnx/input_nhwc.npy"

    func importGraph(_ fixture: String) throws -> Graph {
        try TFLiteImporter.importGraph(from: try Fixtures.bytes("tflite/" + fixture))
    }

    func run(_ graph: Graph, _ x: Tensor) throws -> Tensor {
        let declared = graph.inputs[0]
        return try Engine(graph: graph).run([declared.name: x.converted(from: .nhwc, to: declared.layout ?? .nhwc)])[graph.outputs[0]]!
    }

    /// Float32 and float16 weights, depth multiplier 2, no top (an NHWC output), at batch 2 on a
    /// model declared at batch 1 with a dynamic batch.
    func testFloatModelsMatchTheInterpreter() throws {
        for name in ["mobilenet_v1_0.25_128_c37", "mobilenet_v1_0.25_128_c37_fp16", "mobilenet_v1_0.25_128_dm2_c11", "mobilenet_v1_0.25_128_notop"] {
            let graph = try importGraph(name + ".tflite")
            XCTAssertEqual(graph.inputs[0].shape, [nil, 128, 128, 3], name)
            XCTAssertEqual(graph.inputs[0].layout, .nhwc, name)
            let expected = try Fixtures.tensor("tflite/\(name)_output.npy")
            let got = try run(graph, try Fixtures.tensor(input))
            XCTAssertEqual(got.shape, expected.shape, name)
            assertClose(got, expected, tolerance: 1e-5, name)
        }
        let fp16 = try importGraph("mobilenet_v1_0.25_128_c37_fp16.tflite")
        XCTAssertEqual(fp16.metadata.properties["tflite_weights"], "float16")
        XCTAssertEqual(try importGraph("mobilenet_v1_0.25_128_c37.tflite").outputs, ["StatefulPartitionedCall_1:0"])
    }

    /// int8 weights with per-channel scales become the float weights they quantize: every one
    /// within half a step (the channel's largest magnitude / 127 / 2) of the float32 model's.
    func testDynamicRangeWeightsAreDequantized() throws {
        let quantized = try importGraph("mobilenet_v1_0.25_128_c37_dynamic_range.tflite")
        let float = try importGraph("mobilenet_v1_0.25_128_c37.tflite")
        XCTAssertTrue(quantized.metadata.properties["tflite_weights"]?.contains("int8") == true)
        func convWeights(_ graph: Graph) -> [Tensor] {
            graph.nodes.compactMap { if case .conv2d = $0.op { graph.constants[$0.inputs[1]] } else { nil } }
        }
        let (q, f) = (convWeights(quantized), convWeights(float))
        XCTAssertEqual(q.count, 28)
        XCTAssertEqual(q.map(\.shape), f.map(\.shape))
        var quantizedLayers = 0
        for (a, b) in zip(q, f) where a != b {
            quantizedLayers += 1
            let channels = b.shape[0], size = b.count / channels
            for c in 0..<channels {
                let step = b.data[(c * size)..<((c + 1) * size)].map(abs).max()! / 127
                let worst = (0..<size).map { abs(a.data[c * size + $0] - b.data[c * size + $0]) }.max()!
                XCTAssertLessThanOrEqual(worst, step / 2 * 1.001 + 1e-12, "channel \(c) of \(b.shape)")
            }
        }
        XCTAssertGreaterThan(quantizedLayers, 10, "the converter keeps small weights in float32")
        // LiteRT's hybrid kernels also round activations: close, not equal.
        let got = try run(quantized, try Fixtures.tensor(input))
        let hybrid = try Fixtures.tensor("tflite/mobilenet_v1_0.25_128_c37_dynamic_range_output.npy")
        assertClose(got, hybrid, tolerance: 1e-2, "dequantized fp32 against LiteRT's hybrid kernels")
    }

    func testFullIntegerModelIsRefused() throws {
        XCTAssertThrowsError(try importGraph("mobilenet_v1_0.25_128_c37_int8.tflite")) {
            guard case .quantized(let detail)? = $0 as? TFLiteImportError else { return XCTFail("\($0)") }
            XCTAssertTrue(detail.contains("INT8"), detail)
            XCTAssertTrue(($0 as! TFLiteImportError).description.contains("does not support quantized models yet"))
        }
    }

    // MARK: Small models built here

    /// `[1, 2, 2, 2]` NHWC -> a 1x1 CONV_2D to 3 channels (OHWI weights, a bias, ReLU6 fused).
    struct Tiny {
        var deprecatedCode: Int8? = 3
        var builtinCode: Int32? = 3
        /// Weights stored after the flatbuffer (offset / size) instead of inside it.
        var external = false
        var subgraphs = 1
        var depthwise = false
        var depthMultiplier: Int32 = 0
        /// A declared weight shape other than the data's (a file that lies).
        var weightShape: [Int32]? = nil
        /// The bias's `TensorType` (0: float32), its data then as many 2-byte integers.
        var biasType: Int8 = 0

        static let weights: [Float] = [0.5, -1, 2, 0.25, -3, 1.5]
        static let bias: [Float] = [0.1, -0.2, 7]

        func bytes() -> [UInt8] {
            func floats(_ v: [Float]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
            func tensor(_ name: String, _ shape: [Int32], buffer: UInt32) -> FlatTable {
                var t = FlatTable()
                t[0] = .int32s(shape)
                t[1] = .int8(0)
                t[2] = .uint32(buffer)
                t[3] = .string(name)
                return t
            }
            let weightShape: [Int32] = self.weightShape ?? (depthwise ? [1, 1, 1, 4] : [3, 1, 1, 2])
            let weights = depthwise ? [0.5, -1, 2, 0.25] : Self.weights
            let bias = depthwise ? [0.1, -0.2, 7, 1] : Self.bias
            var subgraph = FlatTable()
            var biasTensor = tensor("b", [Int32(bias.count)], buffer: 2)
            biasTensor[1] = .int8(biasType)
            subgraph[0] = .tables([tensor("x", [1, 2, 2, 2], buffer: 0), tensor("w", weightShape, buffer: 1), biasTensor,
                                   tensor("y", [1, 2, 2, Int32(bias.count)], buffer: 0)])
            subgraph[1] = .int32s([0])
            subgraph[2] = .int32s([3])
            var op = FlatTable()
            op[0] = .uint32(0)
            op[1] = .int32s([0, 1, 2])
            op[2] = .int32s([3])
            var options = FlatTable()
            options[0] = .int8(1)
            options[1] = .int32(1)
            options[2] = .int32(1)
            if depthwise { options[3] = .int32(depthMultiplier); options[4] = .int8(3) } else { options[3] = .int8(3) }
            op[3] = .uint8(depthwise ? 2 : 1)
            op[4] = .table(options)
            subgraph[3] = .tables([op])
            var code = FlatTable()
            if let deprecatedCode { code[0] = .int8(depthwise ? 4 : deprecatedCode) }
            if let builtinCode { code[3] = .int32(depthwise ? 4 : builtinCode) }
            var weightBuffer = FlatTable(), biasBuffer = FlatTable()
            biasBuffer[0] = .scalars(bytes: biasType == 0 ? floats(bias) : Array(repeating: 1, count: 2 * bias.count), elementSize: 1, alignment: 16)
            if external {
                weightBuffer[1] = .uint64(0)
                weightBuffer[2] = .uint64(UInt64(weights.count * 4))
            } else {
                weightBuffer[0] = .scalars(bytes: floats(weights), elementSize: 1, alignment: 16)
            }
            var model = FlatTable()
            model[0] = .uint32(3)
            model[1] = .tables([code])
            model[2] = .tables(Array(repeating: subgraph, count: subgraphs))
            model[4] = .tables([FlatTable(), weightBuffer, biasBuffer])
            var bytes = FlatBufferBuilder.serialize(root: model, identifier: "TFL3")
            guard external else { return bytes }
            // The weights after the flatbuffer; patch the offset field now that it is known.
            bytes += Array(repeating: 0, count: (16 - bytes.count % 16) % 16)
            let offset = UInt64(bytes.count)
            bytes += floats(weights)
            let buffers = try! FlatBuffer(bytes).root().vector(4, elementSize: 4)!
            let table = try! buffers.table(1)
            let field = table.position + Int(UInt16(bytes[tablevtable(bytes, table.position) + 6]) | UInt16(bytes[tablevtable(bytes, table.position) + 7]) << 8)
            withUnsafeBytes(of: offset.littleEndian) { for (i, b) in $0.enumerated() { bytes[field + i] = b } }
            return bytes
        }

        func tablevtable(_ bytes: [UInt8], _ table: Int) -> Int {
            table - Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: table, as: Int32.self) })
        }
    }

    /// What the tiny convolution computes, evaluated here: `min(max(sum_i x[i] w[o, i] + b[o], 0), 6)`.
    func expectedTiny(_ x: Tensor) -> Tensor {
        var y: [Float] = []
        for p in 0..<4 {
            for o in 0..<3 {
                let sum = x.data[p * 2] * Tiny.weights[o * 2] + x.data[p * 2 + 1] * Tiny.weights[o * 2 + 1] + Tiny.bias[o]
                y.append(min(max(sum, 0), 6))
            }
        }
        return Tensor(shape: [1, 2, 2, 3], data: y)
    }

    /// The op code is the larger of `deprecated_builtin_code` and `builtin_code`: files before the
    /// second field existed, files that write both, and files whose old field says 0 (ADD).
    func testOpCodeFieldsAndBuffersAfterTheFlatbuffer() throws {
        let x = Tensor(shape: [1, 2, 2, 2], data: [1, 2, -1, 0.5, 3, -2, 0.25, 4])
        let forms: [(String, Tiny)] = [
            ("both fields", Tiny()),
            ("deprecated field only", Tiny(builtinCode: nil)),
            ("builtin_code only (deprecated 0)", Tiny(deprecatedCode: nil)),
            ("deprecated says ADD", Tiny(deprecatedCode: 0)),
            ("weights after the flatbuffer", Tiny(external: true)),
        ]
        for (label, tiny) in forms {
            let graph = try TFLiteImporter.importGraph(from: tiny.bytes())
            assertClose(try run(graph, x), expectedTiny(x), tolerance: 1e-6, label)
        }
        let several = try TFLiteImporter.importGraph(from: Tiny(subgraphs: 3).bytes())
        XCTAssertEqual(several.metadata.properties["tflite_subgraphs"], "3 (the first imported)")
    }

    /// depth_multiplier 0 (newer converters) or equal to what the filter says is read from the
    /// filter; a value that disagrees is refused, as TFLite itself refuses it.
    func testDepthMultiplier() throws {
        let x = Tensor(shape: [1, 2, 2, 2], data: [1, 2, -1, 0.5, 3, -2, 0.25, 4])
        for multiplier: Int32 in [0, 2] {
            let graph = try TFLiteImporter.importGraph(from: Tiny(depthwise: true, depthMultiplier: multiplier).bytes())
            // Output channel c * 2 + m reads input channel c.
            let w: [Float] = [0.5, -1, 2, 0.25], b: [Float] = [0.1, -0.2, 7, 1]
            var y: [Float] = []
            for p in 0..<4 {
                for o in 0..<4 {
                    let sum: Float = x.data[p * 2 + o / 2] * w[o] + b[o]
                    y.append(min(max(sum, 0), 6))
                }
            }
            let expected = Tensor(shape: [1, 2, 2, 4], data: y)
            assertClose(try run(graph, x), expected, tolerance: 1e-6, "depth_multiplier \(multiplier)")
        }
        XCTAssertThrowsError(try TFLiteImporter.importGraph(from: Tiny(depthwise: true, depthMultiplier: 3).bytes())) {
            XCTAssertTrue("\($0)".contains("depth_multiplier 3 disagrees"), "\($0)")
        }
    }

    /// Shapes that lie: 2^60 elements (2^20 x 2^20 x 2^20), an element count that overflows, and
    /// more elements than the buffer's bytes hold; each refused before anything is allocated.
    func testDeclaredSizesAreCheckedBeforeAllocating() throws {
        for shape: [Int32] in [[1 << 20, 1 << 20, 1 << 20, 1], [Int32.max, Int32.max, Int32.max, Int32.max], [3, 1, 1, 4], [-3, 1, 1, 2]] {
            XCTAssertThrowsError(try TFLiteImporter.importGraph(from: Tiny(weightShape: shape).bytes()), "\(shape)") {
                guard case .invalidTensor(let name, _)? = $0 as? TFLiteImportError else { return XCTFail("\(shape): \($0)") }
                XCTAssertEqual(name, "w")
            }
        }
    }

    /// An int16 bias without quantization parameters: refused as integer data with no scale,
    /// not read as floats of the wrong count.
    func testIntegerWeightsWithoutScalesAreRefused() throws {
        XCTAssertThrowsError(try TFLiteImporter.importGraph(from: Tiny(biasType: 7).bytes())) {
            guard case .invalidTensor(let name, let detail)? = $0 as? TFLiteImportError else { return XCTFail("\($0)") }
            XCTAssertEqual(name, "b")
            XCTAssertTrue(detail.contains("without a quantization scale"), detail)
        }
    }

    /// Damaged copies of a real model (bytes changed, runs zeroed, the file cut short): each
    /// imports or is refused with a TFLiteImportError, never a crash or a hang.
    func testDamagedFilesAreRefusedCleanly() throws {
        let original = try Fixtures.bytes("tflite/mobilenet_v1_0.25_128_c37.tflite")
        var state: UInt64 = 99
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        // The flatbuffer's tables sit after the weights; damage lands where the structure is.
        let structure = 0..<min(original.count, 4096)
        var refused = 0
        for trial in 0..<1500 {
            var bytes = original
            switch trial % 3 {
            case 0:
                for _ in 0..<(1 + next() % 4) {
                    let at = trial % 2 == 0 ? structure.lowerBound + next() % structure.count : next() % bytes.count
                    bytes[at] = UInt8(truncatingIfNeeded: next())
                }
            case 1:
                let at = next() % bytes.count
                for i in at..<min(bytes.count, at + 1 + next() % 16) { bytes[i] = 0xFF }
            default:
                bytes = Array(bytes.prefix(next() % bytes.count))
            }
            do { _ = try TFLiteImporter.importGraph(from: bytes) } catch { refused += 1 }
        }
        XCTAssertGreaterThan(refused, 400)
    }
}
