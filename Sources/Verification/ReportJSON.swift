import Foundation

/// A report as the CLI prints it with `--json`: indented, keys sorted, infinite and NaN values
/// (an SNR of identical outputs) written as the strings `"inf"`, `"-inf"`, `"nan"`.
func reportJSON(_ report: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self)
}
