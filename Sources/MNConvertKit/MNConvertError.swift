/// Every failure the CLI reports, with the exit status it maps to.
///
/// | status | meaning |
/// |---|---|
/// | 2 | an input file cannot be read or converted faithfully (`input`) |
/// | 3 | the models (or model and expected outputs) disagree (`disagreement`) |
/// | 4 | an output file cannot be written (`output`) |
/// | 64 | the command asks for something the model cannot give (`usage`) |
public enum MNConvertError: Error, Equatable, Sendable {
    /// A file mnconvert was asked to read: missing, unreadable, of an unknown or unsupported
    /// format, corrupt, or holding something that cannot be converted faithfully.
    case input(path: String, message: String)
    /// Verification found a difference beyond the tolerance; the report says how large.
    case disagreement(String)
    /// A file mnconvert was asked to write.
    case output(path: String, message: String)
    /// The command line asks for what this model cannot give (one `.npy` from several outputs).
    case usage(String)

    public var exitCode: Int32 {
        switch self {
        case .input: 2
        case .disagreement: 3
        case .output: 4
        case .usage: 64
        }
    }

    /// The one line printed on stderr.
    public var message: String {
        switch self {
        case .input(let path, let message): "\(path): \(message)"
        case .disagreement(let message): message
        case .output(let path, let message): "\(path): \(message)"
        case .usage(let message): message
        }
    }
}
