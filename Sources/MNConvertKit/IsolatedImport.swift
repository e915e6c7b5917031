import Foundation
import MNWFormat
import MobileNetIR

/// Where Keras files are read: libhdf5 (Debian's 1.10) can crash or loop forever on a corrupt
/// file, and no check of ours can stop it inside the library. With an isolation, the file is
/// imported by a child process of mnconvert's own (`mnconvert import-in-child`) under a time and
/// a memory limit; the child hands the imported graph back as a `.mnw` file, which the parent
/// reads with its CRC-checked reader. A child that crashes, runs out of time or memory becomes
/// one error line; the parent never touches libhdf5. Without one (the library's default, for
/// callers who trust their files) the import runs in-process.
public struct ImportIsolation: Sendable, Equatable {
    /// The mnconvert binary to run the child with.
    public var executable: String
    /// Seconds the child may take.
    public var timeout: Double
    /// Bytes of address space the child may map (`RLIMIT_AS`).
    public var memoryLimit: Int

    public static let subcommand = "import-in-child"
    /// 20 s: a 1.0-224 Keras file imports in under half a second on a 2-core machine, and a
    /// hostile file must be refused well within the 30 s a CI step allows one conversion.
    public static let defaultTimeout = 20.0
    /// 8 GiB: a 1.0-224 Keras file needs under 300 MB; the limit is for files that lie.
    public static let defaultMemoryLimit = 8 << 30

    public init(executable: String, timeout: Double = defaultTimeout, memoryLimit: Int = defaultMemoryLimit) {
        self.executable = executable
        self.timeout = timeout
        self.memoryLimit = memoryLimit
    }
}

enum IsolatedImport {
    /// The Keras file at `path` imported by a child process, as its faithful graph.
    static func load(_ path: String, options: ImportOptions, isolation: ImportIsolation) throws(MNConvertError) -> Graph {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mnconvert-\(getpid())-\(UUID().uuidString)")
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw .input(path: path, message: "cannot make a temporary folder to import it in (\(error.localizedDescription))")
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let graphPath = directory.appendingPathComponent("graph.mnw").path
        let errorPath = directory.appendingPathComponent("stderr").path
        FileManager.default.createFile(atPath: errorPath, contents: nil)

        var arguments = [ImportIsolation.subcommand, path, graphPath, "--memory-limit", "\(isolation.memoryLimit)"]
        if let resolution = options.resolution { arguments += ["--resolution", "\(resolution)"] }
        if let activation = options.classifierActivation { arguments += ["--classifier-activation", activation.rawValue] }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: isolation.executable)
        child.arguments = arguments
        child.standardInput = FileHandle.nullDevice
        child.standardOutput = FileHandle.nullDevice
        guard let errors = FileHandle(forWritingAtPath: errorPath) else { throw .input(path: path, message: "cannot capture the importer's messages") }
        child.standardError = errors
        do { try child.run() } catch {
            throw .input(path: path, message: "cannot start the Keras importer (\(isolation.executable): \(error.localizedDescription))")
        }
        let deadline = Date().addingTimeInterval(isolation.timeout)
        while child.isRunning && Date() < deadline { usleep(5_000) }
        let timedOut = child.isRunning
        if timedOut { kill(child.processIdentifier, SIGKILL) }
        child.waitUntilExit()
        try? errors.close()

        if timedOut {
            throw .input(path: path, message: "the HDF5 library did not finish reading it in \(Int(isolation.timeout)) s; the file is likely corrupt (--import-timeout sets the limit)")
        }
        let text = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        if text.contains("failed to allocate") || text.contains("out of memory") {
            throw .input(path: path, message: "reading it needs more than \(isolation.memoryLimit >> 20) MB; the file is likely corrupt")
        }
        if child.terminationReason == .uncaughtSignal {
            throw .input(path: path, message: "the HDF5 library crashed reading it (signal \(child.terminationStatus)); the file is likely corrupt")
        }
        guard child.terminationStatus == 0 else {
            // The child's own one line, without its "mnconvert: error: <path>: " prefix.
            let line = text.split(separator: "\n").last.map(String.init) ?? ""
            let prefix = "mnconvert: error: \(path): "
            if line.hasPrefix(prefix) { throw .input(path: path, message: String(line.dropFirst(prefix.count))) }
            throw .input(path: path, message: "the Keras importer failed (status \(child.terminationStatus)\(line.isEmpty ? "" : ": \(line)")); the file is likely corrupt")
        }
        do { return try MNWFile.read(contentsOf: graphPath) } catch {
            throw .input(path: path, message: "the Keras importer's result cannot be read back (\(error.description)); please report this")
        }
    }

    /// The child's side: imports in-process and writes the graph for the parent. Called by the
    /// hidden subcommand, after it has limited its own memory.
    public static func runChild(input: String, output: String, options: ImportOptions) throws(MNConvertError) {
        let model = try ModelLoader.load(input, options: options, strict: false)
        do { _ = try MNWFile.write(model.graph, to: output) } catch {
            throw .input(path: input, message: "the imported graph cannot be handed over (\(error.description))")
        }
    }
}

extension ImportIsolation {
    /// Limits this process's address space (the child calls it first).
    public static func limitMemory(to bytes: Int) {
        var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
        _ = setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
    }

    /// The child's side of an isolated import (see `IsolatedImport`).
    public static func importInChild(input: String, output: String, options: ImportOptions) throws(MNConvertError) {
        try IsolatedImport.runChild(input: input, output: output, options: options)
    }
}
