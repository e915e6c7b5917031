/// Why a `.mnw` file cannot be read or written. Each case names the check that failed
/// (`Formats/mnw.md`, "What a reader checks").
public enum MNWError: Error, Equatable, Sendable {
    case tooShort(size: Int)
    case badMagic
    case unsupportedVersion(major: Int, minor: Int)
    case unsupportedFlags(UInt32)
    case headerOutOfBounds
    case headerChecksum
    case headerInvalid(String)
    case sizeMismatch(expected: Int, actual: Int)
    case tensorInvalid(name: String, detail: String)
    case tensorChecksum(name: String)
    case graphInvalid(String)
    /// The graph holds something the format cannot store (a non-finite weight, a huge header).
    case unencodable(String)
    case writeFailed(path: String, reason: String)
}

extension MNWError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .tooShort(let size): "not an .mnw file: \(size) bytes is shorter than the 32-byte preamble"
        case .badMagic: "not an .mnw file (wrong magic number)"
        case .unsupportedVersion(let major, let minor): ".mnw version \(major).\(minor) is not supported by this mnconvert (reads 1.x); upgrade mnconvert"
        case .unsupportedFlags(let flags): ".mnw flags \(flags) are not supported by this mnconvert"
        case .headerOutOfBounds: ".mnw header extends past the end of the file: the file is truncated"
        case .headerChecksum: ".mnw header checksum mismatch: the file is corrupt"
        case .headerInvalid(let detail): ".mnw header is invalid: \(detail)"
        case .sizeMismatch(let expected, let actual): ".mnw file is \(actual) bytes, its header says \(expected): the file is truncated or has trailing data"
        case .tensorInvalid(let name, let detail): ".mnw tensor '\(name)': \(detail)"
        case .tensorChecksum(let name): ".mnw tensor '\(name)' checksum mismatch: the file is corrupt"
        case .graphInvalid(let detail): ".mnw graph is invalid: \(detail)"
        case .unencodable(let detail): "cannot write .mnw: \(detail)"
        case .writeFailed(let path, let reason): "cannot write '\(path)': \(reason)"
        }
    }
}
