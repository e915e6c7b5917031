import Foundation
import MobileNetIR
import TensorIO
import XCTest

/// The committed fixtures under `Tests/Fixtures`, made by `Formats/fixtures/make_fixtures.sh`.
public enum Fixtures {
    /// The repository's root folder.
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/", !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()

    public static func path(_ relative: String) -> String {
        root.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relative).path
    }

    public static func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path(relative))))
    }

    /// A `.npy` or TensorProto fixture as a tensor.
    public static func tensor(_ relative: String) throws -> Tensor {
        try TensorFile.read(path(relative))
    }

    /// A new empty folder for a test's outputs, removed by the caller's `addTeardownBlock` if wanted.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mnconvert-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `count` bytes of deterministic noise (a linear congruential generator): random-looking
    /// input that is the same on every run.
    public static func noise(count: Int, seed: UInt32) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    /// The ONNX backend cases that ship with `onnx` (made by PyTorch), each `(name, folder)`.
    public static func backendCases() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path("onnx-backend")).filter { $0.hasPrefix("test_") }.sorted()
    }
}

/// Asserts that `candidate` matches `reference` to `tolerance` of the reference's range
/// (max |d| / max |ref|) and, for batched outputs of more than one element per sample, with the
/// same argmax in every sample.
public func assertClose(_ candidate: Tensor, _ reference: Tensor, tolerance: Float = 1e-4, _ message: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(candidate.count, reference.count, "element count \(message)", file: file, line: line)
    guard candidate.count == reference.count, candidate.count > 0 else { return }
    var maxDiff: Float = 0, maxRef: Float = 0, worst = 0
    for i in 0..<reference.count {
        let d = abs(candidate.data[i] - reference.data[i])
        if !(d <= maxDiff) { maxDiff = d; worst = i }
        maxRef = max(maxRef, abs(reference.data[i]))
    }
    let relative = maxRef == 0 ? maxDiff : maxDiff / maxRef
    XCTAssert(relative <= tolerance, "max|d|/max|ref| = \(relative) at element \(worst) (got \(candidate.data[worst]), expected \(reference.data[worst])) \(message)",
              file: file, line: line)
    let samples = reference.rank > 1 ? reference.shape[0] : 1
    let perSample = reference.count / samples
    guard perSample > 1 else { return }
    for s in 0..<samples {
        let range = (s * perSample)..<((s + 1) * perSample)
        let a = candidate.data[range].indices.max { candidate.data[$0] < candidate.data[$1] }
        let b = reference.data[range].indices.max { reference.data[$0] < reference.data[$1] }
        XCTAssertEqual(a, b, "top-1 of sample \(s) \(message)", file: file, line: line)
    }
}
