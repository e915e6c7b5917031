import Dispatch
import Foundation

/// What a finished process printed and returned.
public struct ProcessOutcome {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `executable` with `arguments` in the repository's root and waits for it.
public func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessOutcome {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = Fixtures.root
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
    let stdout = Pipe(), stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    // Read both pipes while the process runs, so neither fills and blocks it.
    final class Collected: @unchecked Sendable { var data = Data() }
    let errors = Collected(), done = DispatchGroup()
    DispatchQueue.global().async(group: done) { errors.data = stderr.fileHandleForReading.readDataToEndOfFile() }
    let outData = stdout.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    process.waitUntilExit()
    return ProcessOutcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errors.data, as: UTF8.self))
}

public struct MissingTool: Error, CustomStringConvertible {
    public var description: String
}

extension Fixtures {
    /// The Python of the test venv (`Scripts/test.sh` makes `.venv-test` with pinned numpy), or
    /// `MNCONVERT_PYTHON`. Tests that check mnconvert's files with other programs run it.
    public static var python: URL {
        get throws {
            let path = ProcessInfo.processInfo.environment["MNCONVERT_PYTHON"] ?? root.appendingPathComponent(".venv-test/bin/python").path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw MissingTool(description: "\(path) is missing: run `bash Scripts/test.sh`, which makes the test venv, or set MNCONVERT_PYTHON")
            }
            return URL(fileURLWithPath: path)
        }
    }
}
