import Foundation

/// The one way mnconvert writes JSON: keys sorted (the same value gives the same bytes), slashes
/// unescaped (paths stay readable), and the non-finite numbers a report can hold (the SNR of
/// identical outputs) as the strings `"inf"`, `"-inf"`, `"nan"`.
public enum JSONText {
    /// `value` as UTF-8 JSON: indented for people (`pretty`), else compact (file headers).
    public static func encode(_ value: some Encodable, pretty: Bool) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try encoder.encode(value))
    }

    /// A report as `--json` prints it. Reports hold numbers, strings and arrays of them, which
    /// always encode.
    public static func report(_ value: some Encodable) -> String {
        String(decoding: (try? encode(value, pretty: true)) ?? [], as: UTF8.self)
    }
}
