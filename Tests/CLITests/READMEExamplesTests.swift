import Foundation
import TestSupport
import XCTest

/// Every `console` block of README.md, run as a user would: in one fresh folder (holding links to
/// `Examples` and `Tests`), in order, with `.build/release` first on `PATH`. Each `$ ` line is a
/// command; the lines after it are what it must print (stdout, then stderr). Times and the
/// folder's path are masked. A change that alters what users see fails here until the README
/// says the same: `MNCONVERT_RECORD_README=1 swift test -c release --disable-testable-imports
/// --filter READMEExamplesTests` writes the outputs into README.md.
final class READMEExamplesTests: XCTestCase {
    struct Example {
        var command: String
        var expected: [String]
        /// Line range of the expected output in README.md.
        var lines: Range<Int>
    }

    static func examples(in readme: [String]) -> [Example] {
        var examples: [Example] = []
        var inBlock = false
        for (index, line) in readme.enumerated() {
            if line == "```console" { inBlock = true; continue }
            if inBlock, line == "```" { inBlock = false; continue }
            guard inBlock else { continue }
            if line.hasPrefix("$ ") {
                examples.append(Example(command: String(line.dropFirst(2)), expected: [], lines: (index + 1)..<(index + 1)))
            } else if !examples.isEmpty {
                examples[examples.count - 1].expected.append(line)
                examples[examples.count - 1].lines = examples[examples.count - 1].lines.lowerBound..<(index + 1)
            }
        }
        return examples
    }

    /// Times vary from run to run, and the folder from test to test.
    static func masked(_ text: String, folder: String) -> String {
        text.replacingOccurrences(of: folder + "/", with: "")
            .replacingOccurrences(of: #"\d+(\.\d+)? (ms|s)\b"#, with: "<time>", options: .regularExpression)
    }

    func testREADMEExamplesPrintWhatTheREADMESays() throws {
        let readmePath = Fixtures.root.appendingPathComponent("README.md").path
        var readme = try String(contentsOfFile: readmePath, encoding: .utf8).components(separatedBy: "\n")
        let examples = Self.examples(in: readme)
        XCTAssertGreaterThanOrEqual(examples.count, 5, "README.md's console examples")

        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["Examples", "Tests"] {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name), withDestinationURL: Fixtures.root.appendingPathComponent(name))
        }
        let binaries = Fixtures.root.appendingPathComponent(".build/release").path
        let record = ProcessInfo.processInfo.environment["MNCONVERT_RECORD_README"] == "1"
        var recorded: [(Range<Int>, [String])] = []
        for example in examples {
            let script = "cd '\(folder.path)' && PATH='\(binaries)':\"$PATH\" && \(example.command)"
            let result = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", script])
            var printed = (result.stdout + result.stderr).components(separatedBy: "\n")
            if printed.last == "" { printed.removeLast() }
            if record {
                recorded.append((example.lines, printed.map { $0.replacingOccurrences(of: folder.path + "/", with: "") }))
                continue
            }
            XCTAssertEqual(Self.masked(printed.joined(separator: "\n"), folder: folder.path),
                           Self.masked(example.expected.joined(separator: "\n"), folder: folder.path), "README.md: $ \(example.command)")
        }
        if record {
            // Last first, so the earlier examples' line numbers still hold.
            for (range, lines) in recorded.reversed() { readme.replaceSubrange(range, with: lines) }
            try readme.joined(separator: "\n").write(toFile: readmePath, atomically: true, encoding: .utf8)
        }
    }
}
