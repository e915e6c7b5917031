import Foundation
import MobileNetIR
import TensorIO

/// Reads and writes `.mnw` files (`Formats/mnw.md`).
///
/// ```swift
/// let bytes = try MNWFile.serialize(graph)
/// let again = try MNWFile.deserialize(bytes)     // == graph
/// ```
public enum MNWFile {
    public static let magic: [UInt8] = [0x89, 0x4D, 0x4E, 0x57, 0x0D, 0x0A, 0x1A, 0x0A]
    public static let majorVersion: UInt16 = 1
    public static let minorVersion: UInt16 = 0
    static let preambleSize = 32
    static let alignment = 64

    // MARK: Writing

    /// The file's bytes. The same graph always gives the same bytes.
    public static func serialize(_ graph: Graph) throws(MNWError) -> [UInt8] {
        let plan = try FilePlan(graph)
        var file: [UInt8] = []
        file.reserveCapacity(plan.size)
        plan.emit { file.append(contentsOf: $0) }
        return file
    }

    /// Writes `graph` to `path` through a temporary file and a rename: the target is either the
    /// old file or the complete new one, never a partial file. The tensors' bytes go from their
    /// arrays to the file without an in-memory copy of the whole file.
    /// Returns the file's size.
    @discardableResult
    public static func write(_ graph: Graph, to path: String) throws(MNWError) -> Int {
        let plan = try FilePlan(graph)
        do { try AtomicFile.write(to: path) { output in plan.emit(output.write) } } catch {
            guard case .cannotWrite(_, let reason) = error else { throw .writeFailed(path: path, reason: error.reason) }
            throw .writeFailed(path: path, reason: reason)
        }
        return plan.size
    }

    /// Everything about a file but the tensors' bytes: the preamble and header (`prefix`), then
    /// each tensor with the zeros that align it to 64 bytes.
    struct FilePlan {
        var prefix: [UInt8]
        var tensors: [(tensor: Tensor, padding: Int)] = []
        var size: Int

        init(_ graph: Graph) throws(MNWError) {
            // Tensors in the order nodes first read them, each aligned to 64 bytes.
            var order: [String] = []
            var seen: Set<String> = []
            for name in graph.nodes.flatMap(\.inputs) + graph.outputs where graph.constants[name] != nil && seen.insert(name).inserted {
                order.append(name)
            }
            var records: [MNWHeader.TensorRecord] = []
            var dataSize = 0
            let checksums = Self.checksums(order.map { graph.constants[$0]! })
            for (name, crc) in zip(order, checksums) {
                let tensor = graph.constants[name]!
                if let index = tensor.firstNonFiniteIndex {
                    throw .unencodable("tensor '\(name)' holds NaN or infinity at element \(index)")
                }
                let padding = MNWFile.padding(dataSize)
                dataSize += padding
                records.append(.init(name: name, dtype: "float32", shape: tensor.shape, offset: dataSize,
                                     length: tensor.count * 4, crc32: crc))
                tensors.append((tensor, padding))
                dataSize += tensor.count * 4
            }

            let header = MNWHeader(
                graph: .init(
                    inputs: graph.inputs.map { .init(name: $0.name, shape: $0.shape, layout: $0.layout) },
                    nodes: graph.nodes.map { node in
                        let (op, attributes) = MNWHeader.Attributes.encode(node.op)
                        return .init(name: node.name, op: op, inputs: node.inputs, output: node.output, attributes: attributes)
                    },
                    outputs: graph.outputs),
                metadata: .init(sourceFormat: graph.metadata.sourceFormat, producer: graph.metadata.producer,
                                sourceInputLayout: graph.metadata.sourceInputLayout, properties: graph.metadata.properties),
                tensors: records)
            let json: [UInt8]
            do { json = try JSONText.encode(header, pretty: false) } catch { throw .unencodable("\(error)") }
            guard json.count < Int(UInt32.max) else { throw .unencodable("the header is larger than 4 GiB") }

            prefix = magic
            append(majorVersion, to: &prefix)
            append(minorVersion, to: &prefix)
            append(UInt32(json.count), to: &prefix)
            append(CRC32.checksum(json), to: &prefix)
            append(UInt32(0), to: &prefix)
            append(UInt64(dataSize), to: &prefix)
            prefix.append(contentsOf: json)
            prefix.append(contentsOf: [UInt8](repeating: 0, count: MNWFile.padding(prefix.count)))
            size = prefix.count + dataSize
        }

        /// Hands the file's bytes to `write` in order: the prefix, then each tensor after its
        /// padding, straight from the tensor's array.
        func emit(_ write: (UnsafeRawBufferPointer) -> Void) {
            prefix.withUnsafeBytes(write)
            for entry in tensors {
                [UInt8](repeating: 0, count: entry.padding).withUnsafeBytes(write)
                withLittleEndianBytes(entry.tensor.data, write)
            }
        }

        /// Each tensor's CRC-32, tensors spread over the cores (a 1.0-224 model is 17 MB to check).
        static func checksums(_ tensors: [Tensor]) -> [UInt32] {
            let results = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: tensors.count)
            defer { results.deallocate() }
            nonisolated(unsafe) let shared = results
            DispatchQueue.concurrentPerform(iterations: tensors.count) { index in
                shared[index] = withLittleEndianBytes(tensors[index].data) { CRC32.checksum($0) }
            }
            return Array(results)
        }
    }

    // MARK: Reading

    public static func read(contentsOf path: String) throws(MNWError) -> Graph {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .headerInvalid("cannot read '\(path)'")
        }
        return try deserialize(Array(data))
    }

    /// Whether `bytes` start with the `.mnw` magic.
    static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= magic.count && bytes.prefix(magic.count).elementsEqual(magic)
    }

    public static func deserialize(_ bytes: [UInt8]) throws(MNWError) -> Graph {
        try bytes.withBytes { (raw) throws(MNWError) in try deserialize(raw) }
    }

    /// Reads a graph from a file's bytes wherever they are (an array, a mapped file).
    public static func deserialize(_ bytes: UnsafeRawBufferPointer) throws(MNWError) -> Graph {
        guard bytes.count >= preambleSize else {
            throw hasMagic(bytes) || bytes.isEmpty ? .tooShort(size: bytes.count) : .badMagic
        }
        guard hasMagic(bytes) else { throw .badMagic }
        let major = Int(read(UInt16.self, bytes, at: 8)), minor = Int(read(UInt16.self, bytes, at: 10))
        guard major == Int(majorVersion) else { throw .unsupportedVersion(major: major, minor: minor) }
        let flags = read(UInt32.self, bytes, at: 20)
        guard flags == 0 else { throw .unsupportedFlags(flags) }
        let headerLength = Int(read(UInt32.self, bytes, at: 12))
        guard headerLength <= bytes.count - preambleSize else { throw .headerOutOfBounds }
        let json = Array(UnsafeRawBufferPointer(rebasing: bytes[preambleSize..<(preambleSize + headerLength)]))
        guard CRC32.checksum(json) == read(UInt32.self, bytes, at: 16) else { throw .headerChecksum }

        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let header: MNWHeader
        do { header = try decoder.decode(MNWHeader.self, from: Data(json)) } catch {
            throw .headerInvalid("the JSON does not parse as an .mnw header")
        }

        let dataStart = preambleSize + headerLength + padding(preambleSize + headerLength)
        let dataLength = read(UInt64.self, bytes, at: 24)
        guard dataLength <= UInt64(Int.max - dataStart), dataStart + Int(dataLength) == bytes.count else {
            throw .sizeMismatch(expected: dataLength <= UInt64(Int.max - dataStart) ? dataStart + Int(dataLength) : Int.max, actual: bytes.count)
        }

        var constants: [String: Tensor] = [:]
        for record in header.tensors {
            guard record.dtype == "float32" else { throw .tensorInvalid(name: record.name, detail: "dtype '\(record.dtype)' is not float32") }
            guard let count = checkedElementCount(record.shape), record.length == count * 4 else {
                throw .tensorInvalid(name: record.name, detail: "length \(record.length) does not fit shape \(record.shape)")
            }
            guard record.offset >= 0, record.offset % alignment == 0, record.offset <= Int(dataLength) - record.length else {
                throw .tensorInvalid(name: record.name, detail: "offset \(record.offset) is misaligned or outside the data section")
            }
            let start = dataStart + record.offset
            let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + record.length)])
            guard CRC32.checksum(slice) == record.crc32 else { throw .tensorChecksum(name: record.name) }
            #if _endian(little)
            let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: slice)
                initialized = count
            }
            #else
            let values = (0..<count).map { Float(bitPattern: UInt32(littleEndian: slice.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            #endif
            guard constants.updateValue(Tensor(shape: record.shape, data: values), forKey: record.name) == nil else {
                throw .tensorInvalid(name: record.name, detail: "appears twice")
            }
        }

        var nodes: [Node] = []
        for record in header.graph.nodes {
            let op = try record.attributes.decode(op: record.op, node: record.name)
            nodes.append(Node(name: record.name, op: op, inputs: record.inputs, outputs: [record.output]))
        }
        let m = header.metadata
        let graph = Graph(
            inputs: header.graph.inputs.map { GraphInput(name: $0.name, shape: $0.shape, layout: $0.layout) },
            outputs: header.graph.outputs, nodes: nodes, constants: constants,
            metadata: Metadata(sourceFormat: m.sourceFormat, producer: m.producer, sourceInputLayout: m.sourceInputLayout,
                               properties: m.properties))
        do { try graph.validate() } catch { throw .graphInvalid(error.description) }
        return graph
    }

    // MARK: Helpers

    static func padding(_ size: Int) -> Int { (alignment - size % alignment) % alignment }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func read<T: FixedWidthInteger>(_ type: T.Type, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// `values` as little-endian bytes: the array's own memory on a little-endian machine.
    static func withLittleEndianBytes<R>(_ values: [Float], _ body: (UnsafeRawBufferPointer) -> R) -> R {
        #if _endian(little)
        return values.withUnsafeBytes(body)
        #else
        let swapped = values.map { Float(bitPattern: $0.bitPattern.littleEndian) }
        return swapped.withUnsafeBytes(body)
        #endif
    }
}
