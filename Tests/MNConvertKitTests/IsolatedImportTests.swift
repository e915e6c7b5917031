import Foundation
import MNConvertKit
import MobileNetIR
import TestSupport
import XCTest

/// Keras files read by a child process (`ImportIsolation`): what the parent makes of a child that
/// crashes, runs out of memory, or succeeds. The child here is a script standing in for a crash
/// of libhdf5, or the release binary itself.
final class IsolatedImportTests: XCTestCase {
    let keras = Fixtures.path("keras/mobilenet_v1_0.25_128_c37.keras")
    var binary: String { Fixtures.root.appendingPathComponent(".build/release/mnconvert").path }

    func script(_ body: String) throws -> String {
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("child.sh").path
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(path, 0o755), 0)
        return path
    }

    func error(_ isolation: ImportIsolation) -> String? {
        do throws(MNConvertError) {
            _ = try ModelLoader.load(keras, options: ImportOptions(isolation: isolation))
            return nil
        } catch {
            XCTAssertEqual(error.exitCode, 2)
            return error.message
        }
    }

    func testACrashingChildIsOneErrorLine() throws {
        let message = error(ImportIsolation(executable: try script("kill -SEGV $$")))
        XCTAssertEqual(message, "\(keras): the HDF5 library crashed reading it (signal 11); the file is likely corrupt")
    }

    func testAHangingChildIsStopped() throws {
        let start = Date()
        let message = error(ImportIsolation(executable: try script("sleep 30"), timeout: 1))
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertEqual(message, "\(keras): the HDF5 library did not finish reading it in 1 s; the file is likely corrupt (--import-timeout sets the limit)")
    }

    /// The real child under a 64 MB address-space limit cannot map the file: it fails by itself
    /// (one line, passed on), and the parent, unlimited, carries on.
    func testTheMemoryLimitHolds() throws {
        let message = try XCTUnwrap(error(ImportIsolation(executable: binary, memoryLimit: 64 << 20)))
        XCTAssertTrue(message.hasPrefix("\(keras): "), message)
        XCTAssertFalse(message.contains("\n"), message)
        XCTAssertNotNil(try? ModelLoader.load(keras, options: ImportOptions(isolation: ImportIsolation(executable: binary))))
    }

    /// A child that starts children of its own: all of them are stopped at the time limit.
    func testTheChildsOwnChildrenAreStoppedToo() throws {
        let marker = try Fixtures.temporaryDirectory().appendingPathComponent("still-running").path
        let message = error(ImportIsolation(executable: try script("(sleep 3; touch \(marker)) & wait"), timeout: 1))
        XCTAssertTrue(message?.contains("did not finish reading it in 1 s") == true, message ?? "")
        sleep(4)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "a grandchild outlived the time limit")
    }

    /// Through the child, a valid file gives the graph the in-process import gives.
    func testTheChildHandsBackTheSameGraph() throws {
        let isolated = try ModelLoader.load(keras, options: ImportOptions(isolation: ImportIsolation(executable: binary)))
        let direct = try ModelLoader.load(keras)
        XCTAssertEqual(isolated.graph.nodes, direct.graph.nodes)
        XCTAssertEqual(isolated.graph.constants, direct.graph.constants)
        XCTAssertEqual(isolated.graph.inputs, direct.graph.inputs)
        XCTAssertEqual(isolated.graph.outputs, direct.graph.outputs)
    }
}
