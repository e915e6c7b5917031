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

        var arguments = [ImportIsolation.subcommand, path, graphPath, "--memory-limit", "\(isolation.memoryLimit)"]
        if let resolution = options.resolution { arguments += ["--resolution", "\(resolution)"] }
        if let activation = options.classifierActivation { arguments += ["--classifier-activation", activation.rawValue] }
        let outcome = try run(isolation.executable, arguments, errorPath: errorPath, timeout: isolation.timeout, path: path)

        if outcome == .timedOut {
            throw .input(path: path, message: "the HDF5 library did not finish reading it in \(Int(isolation.timeout)) s; the file is likely corrupt (--import-timeout sets the limit)")
        }
        let text = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        if text.contains("failed to allocate") || text.contains("out of memory") {
            throw .input(path: path, message: "reading it needs more than \(isolation.memoryLimit >> 20) MB; the file is likely corrupt")
        }
        if case .signaled(let signal) = outcome {
            throw .input(path: path, message: "the HDF5 library crashed reading it (signal \(signal)); the file is likely corrupt")
        }
        guard case .exited(let status) = outcome, status == 0 else {
            // The child's own one line, without its "mnconvert: error: <path>: " prefix.
            let line = text.split(separator: "\n").last.map(String.init) ?? ""
            let prefix = "mnconvert: error: \(path): "
            if line.hasPrefix(prefix) { throw .input(path: path, message: String(line.dropFirst(prefix.count))) }
            throw .input(path: path, message: "the Keras importer failed (\(outcome)\(line.isEmpty ? "" : ": \(line)")); the file is likely corrupt")
        }
        do { return try MNWFile.read(contentsOf: graphPath) } catch {
            throw .input(path: path, message: "the Keras importer's result cannot be read back (\(error.description)); please report this")
        }
    }

    enum Outcome: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)
        case timedOut

        var description: String {
            switch self {
            case .exited(let status): "status \(status)"
            case .signaled(let signal): "signal \(signal)"
            case .timedOut: "timed out"
            }
        }
    }

    /// Runs `executable` in a process group of its own, stdin and stdout on /dev/null and stderr
    /// into `errorPath`; kills the whole group (the child and anything it started) at `timeout`.
    static func run(_ executable: String, _ arguments: [String], errorPath: String, timeout: Double, path: String) throws(MNConvertError) -> Outcome {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw .input(path: path, message: "cannot start the Keras importer (\(executable): \(String(cString: strerror(spawned))))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0 && errno != EINTR { return .exited(-1) }
            if Date() >= deadline {
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return .timedOut
            }
            usleep(5_000)
        }
        // Whatever the child started dies with it.
        kill(-pid, SIGKILL)
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    }

}

extension ImportIsolation {
    /// Limits this process's address space (the child calls it first).
    public static func limitMemory(to bytes: Int) {
        var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
        _ = setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
    }

    /// The child's side of an isolated import: imports in-process and writes the graph for the
    /// parent. Called by the hidden subcommand, after it has limited its own memory.
    public static func importInChild(input: String, output: String, options: ImportOptions) throws(MNConvertError) {
        let model = try ModelLoader.load(input, options: options, strict: false)
        do { _ = try MNWFile.write(model.graph, to: output) } catch {
            throw .input(path: input, message: "the imported graph cannot be handed over (\(error.description))")
        }
    }
}
