import Foundation
import MobileNetIR
import TestSupport
import Verification
import XCTest

/// `Metrics` decides `verify`'s exit status. Each case here is a pair of fixed arrays and the
/// metrics numpy computed for them (`Formats/fixtures/make_fixtures.py`, `make_metrics`): close
/// outputs, identical ones, a swapped top-1 and a swapped fifth class, ties, a NaN in the
/// candidate, an all-zero reference, one value per sample.
final class MetricsTests: XCTestCase {
    /// metrics.json: case name -> metric -> number, "inf", "-inf", "nan" or null.
    func expectations() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("metrics/metrics.json")))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
    }

    func number(_ value: Any?) -> Double? {
        switch value {
        case let text as String: ["inf": .infinity, "-inf": -.infinity, "nan": .nan][text]
        case let number as NSNumber: number.doubleValue
        default: nil
        }
    }

    /// Within `relative` of the expected value (JSONSerialization's parsing alone is off by an ulp).
    func assertEqual(_ got: Double, _ expected: Any?, _ label: String, relative: Double, file: StaticString = #filePath, line: UInt = #line) {
        guard let want = number(expected) else { return XCTFail("\(label): no expected value", file: file, line: line) }
        if want.isNaN { return XCTAssertTrue(got.isNaN, "\(label): \(got), expected NaN", file: file, line: line) }
        if want.isInfinite { return XCTAssertEqual(got, want, label, file: file, line: line) }
        XCTAssertEqual(got, want, accuracy: max(abs(want) * relative, 1e-300), label, file: file, line: line)
    }

    func testMetricsMatchNumpy() throws {
        let cases = try expectations()
        XCTAssertEqual(cases.count, 8)
        for (name, expected) in cases.sorted(by: { $0.key < $1.key }) {
            let reference = try Fixtures.tensor("metrics/\(name)_reference.npy")
            let candidate = try Fixtures.tensor("metrics/\(name)_candidate.npy")
            let m = Metrics(reference: reference, candidate: candidate)
            assertEqual(m.maxAbsDiff, expected["max_abs_diff"], "\(name) max|d|", relative: 1e-14)
            assertEqual(m.maxAbsReference, expected["max_abs_reference"], "\(name) max|ref|", relative: 1e-14)
            assertEqual(m.relativeToRange, expected["relative_to_range"], "\(name) max|d|/max|ref|", relative: 1e-12)
            assertEqual(m.snrDB, expected["snr_db"], "\(name) SNR", relative: 1e-9)
            assertEqual(m.cosine, expected["cosine"], "\(name) cosine", relative: 1e-12)
            XCTAssertEqual(m.samples, expected["samples"] as? Int, "\(name) samples")
            XCTAssertEqual(m.top1Agreement, expected["top1_agreement"] as? Int, "\(name) top-1")
            XCTAssertEqual(m.top5Agreement, expected["top5_agreement"] as? Int, "\(name) top-5")
        }
    }

    /// What `verify` exits on: within the tolerance of the range and every top-1 the same.
    func testAgreementNeedsTheToleranceAndEveryTop1() throws {
        func metrics(_ name: String) throws -> Metrics {
            Metrics(reference: try Fixtures.tensor("metrics/\(name)_reference.npy"), candidate: try Fixtures.tensor("metrics/\(name)_candidate.npy"))
        }
        XCTAssertTrue(try metrics("close").agrees(tolerance: 1e-4))
        XCTAssertFalse(try metrics("close").agrees(tolerance: 1e-7), "7.2e-7 of range exceeds 1e-7")
        XCTAssertTrue(try metrics("identical").agrees(tolerance: 0))
        XCTAssertFalse(try metrics("swapped_top1").agrees(tolerance: 10), "a different top-1 fails whatever the tolerance")
        XCTAssertTrue(try metrics("swapped_top5").agrees(tolerance: 10), "top-5 is reported, not gated")
        XCTAssertFalse(try metrics("nan_candidate").agrees(tolerance: .greatestFiniteMagnitude))
        XCTAssertFalse(try metrics("zero_reference").agrees(tolerance: 1e6), "any difference from an all-zero reference is infinite")
    }

    /// Nothing is sorted before comparison: a permutation of the outputs is a large difference.
    func testPermutedOutputsDoNotAgree() {
        let reference = Tensor(shape: [1, 6], data: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
        let permuted = Tensor(shape: [1, 6], data: [0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
        let m = Metrics(reference: reference, candidate: permuted)
        XCTAssertEqual(m.maxAbsDiff, Double(Float(0.6)) - Double(Float(0.1)), accuracy: 1e-12)
        XCTAssertEqual(m.top1Agreement, 0)
        XCTAssertFalse(m.agrees(tolerance: 1e-4))
    }
}
