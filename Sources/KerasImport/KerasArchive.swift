import Foundation
import ZIPFoundation

/// A `.keras` file: a zip of `config.json`, `metadata.json` and `model.weights.h5`.
struct KerasArchive {
    /// The largest member mnconvert extracts (a guard against zip bombs).
    static let memberLimit = 2 << 30

    var config: String
    /// `model.weights.h5`, extracted to a temporary file that the caller removes.
    var weightsPath: String

    static func open(_ path: String) throws(KerasImportError) -> KerasArchive {
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw .unreadable("the .keras zip cannot be opened")
        }
        guard let configEntry = archive["config.json"], let weightsEntry = archive["model.weights.h5"] else {
            throw .notKeras("the zip has no config.json and model.weights.h5")
        }
        let config = String(decoding: try extract(configEntry, from: archive), as: UTF8.self)
        let weights = try extract(weightsEntry, from: archive)
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("mnconvert-\(UUID().uuidString).weights.h5")
        do { try weights.write(to: temporary) } catch {
            throw .unreadable("model.weights.h5 cannot be extracted to \(temporary.path)")
        }
        return KerasArchive(config: config, weightsPath: temporary.path)
    }

    private static func extract(_ entry: Entry, from archive: Archive) throws(KerasImportError) -> Data {
        guard entry.uncompressedSize <= UInt64(memberLimit) else { throw .unreadable("\(entry.path) is larger than 2 GiB") }
        var data = Data()
        do {
            _ = try archive.extract(entry) { chunk in
                data.append(chunk)
                if data.count > memberLimit { throw Archive.ArchiveError.cancelledOperation }
            }
        } catch {
            throw .unreadable("\(entry.path) cannot be extracted from the zip")
        }
        return data
    }
}
