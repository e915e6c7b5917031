import MobileNetV1
import TensorIO
import Verification

/// The reports the CLI prints: verification (whole outputs, per layer, as JUnit XML) and costs.
public typealias VerificationReport = Verification.VerificationReport
public typealias PerLayerReport = Verification.PerLayerReport
public typealias JUnitReport = Verification.JUnitReport
public typealias CostReport = MobileNetV1.CostReport

/// Report files beside the printed reports.
public enum Reports {
    /// Writes `text` to `path` whole or not at all.
    public static func write(_ text: String, to path: String) throws(MNConvertError) {
        do { try AtomicFile.write(Array(text.utf8), to: path) } catch { throw .output(path: path, message: error.reason) }
    }
}
