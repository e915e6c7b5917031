import Foundation

/// Verification reports as JUnit XML, which CI systems display as test results: one test suite,
/// one test case per compared output (or per layer), a `<failure>` for each that disagrees, with
/// the metrics as the case's output.
public enum JUnitReport {
    public static func xml(_ report: VerificationReport) -> String {
        let cases = report.outputs.map { output in
            Case(name: output.name, metrics: output.metrics, failure: output.metrics.disagreement(tolerance: report.tolerance))
        }
        return document(suite: "mnconvert verify \(report.candidate) against \(report.reference)", cases: cases)
    }

    public static func xml(_ report: PerLayerReport) -> String {
        let cases = report.layers.map { layer in
            // A layer is judged on its range alone: the argmax of an activation means nothing.
            Case(name: layer.layer, metrics: layer.metrics,
                 failure: layer.metrics.relativeToRange > report.tolerance ? layer.metrics.disagreement(tolerance: report.tolerance) : nil)
        }
        return document(suite: "mnconvert verify --per-layer \(report.candidate) against \(report.reference)", cases: cases)
    }

    struct Case {
        var name: String
        var metrics: Metrics
        var failure: String?
    }

    static func document(suite: String, cases: [Case]) -> String {
        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#,
                     #"<testsuites name="mnconvert" tests="\#(cases.count)" failures="\#(cases.filter { $0.failure != nil }.count)">"#,
                     #"  <testsuite name="\#(escaped(suite))" tests="\#(cases.count)" failures="\#(cases.filter { $0.failure != nil }.count)" errors="0" skipped="0">"#]
        for c in cases {
            let m = c.metrics
            var metrics = String(format: "max|d| %.3e, max|d|/max|ref| %.3e, SNR %@ dB, cosine %.7f", m.maxAbsDiff, m.relativeToRange,
                                 m.snrDB.isFinite ? String(format: "%.1f", m.snrDB) : "\(m.snrDB)", m.cosine)
            if let top1 = m.top1Agreement { metrics += ", top-1 \(top1)/\(m.samples)" }
            if let top5 = m.top5Agreement { metrics += ", top-5 \(top5)/\(m.samples)" }
            lines.append(#"    <testcase classname="mnconvert.verify" name="\#(escaped(c.name))">"#)
            if let failure = c.failure {
                lines.append(#"      <failure message="\#(escaped(failure))" type="disagreement">\#(escaped(metrics))</failure>"#)
            }
            lines.append("      <system-out>\(escaped(metrics))</system-out>")
            lines.append("    </testcase>")
        }
        lines += ["  </testsuite>", "</testsuites>", ""]
        return lines.joined(separator: "\n")
    }

    /// Text safe in XML attributes and content; characters XML 1.0 cannot hold become `?`.
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default: out.unicodeScalars.append(scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) ? "?" : scalar)
            }
        }
        return out
    }
}
