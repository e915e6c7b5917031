import HDF5
import TestSupport
import XCTest

/// Reads files written by h5py and by Keras 3 (`Tests/Fixtures/hdf5`, see make_fixtures.py).
final class HDF5FileTests: XCTestCase {
    let strings = Fixtures.path("hdf5/strings_and_datasets.h5")
    let keras = Fixtures.path("hdf5/tiny_keras3_legacy.h5")

    func testReadsFloatDatasetWithShape() throws {
        let file = try HDF5File(path: strings)
        let (shape, values) = try file.readFloats("model_weights/conv1/kernel")
        XCTAssertEqual(shape, [2, 3, 4])
        XCTAssertEqual(values, (0..<24).map(Float.init))  // written as np.arange(24)
    }

    func testConvertsDoubleAndIntegerDatasets() throws {
        let file = try HDF5File(path: strings)
        XCTAssertEqual(try file.readFloats("doubles").values, [0, 0.25, 0.5, 0.75, 1])
        let ints = try file.readFloats("ints")
        XCTAssertEqual(ints.shape, [2, 3])
        XCTAssertEqual(ints.values, [0, 1, 2, 3, 4, 5])
    }

    func testReadsVariableAndFixedLengthStrings() throws {
        let file = try HDF5File(path: strings)
        XCTAssertEqual(try file.stringAttribute("vlen_text"), "variable-length text")
        XCTAssertEqual(try file.stringAttribute("fixed_text"), "fixed-length text")
        XCTAssertEqual(try file.stringArrayAttribute("fixed_list"), ["conv1", "conv1_bn", "conv_dw_1"])
        XCTAssertEqual(try file.stringArrayAttribute("vlen_list"), ["a", "bb", "ccc"])
        XCTAssertEqual(try file.numericAttribute("scalar_int"), [42])
    }

    func testListsChildren() throws {
        let file = try HDF5File(path: strings)
        XCTAssertEqual(try file.children(of: "/"), ["doubles", "ints", "model_weights"])
        XCTAssertTrue(file.exists("model_weights/conv1/kernel"))
        XCTAssertFalse(file.exists("model_weights/conv2/kernel"))
    }

    func testReadsAKerasLegacyFile() throws {
        let file = try HDF5File(path: keras)
        let config = try file.stringAttribute("model_config")
        let json = try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any]
        XCTAssertEqual(json?["class_name"] as? String, "Sequential")
        XCTAssertEqual(try file.stringArrayAttribute("layer_names", of: "model_weights"), ["conv", "bn", "relu"])
        XCTAssertEqual(try file.stringArrayAttribute("weight_names", of: "model_weights/conv"), ["tiny/conv/kernel", "tiny/conv/bias"])
        let kernel = try file.readFloats("model_weights/conv/tiny/conv/kernel")
        let expected = try Fixtures.tensor("hdf5/tiny_conv_kernel.npy")  // saved by Keras itself
        XCTAssertEqual(kernel.shape, expected.shape)
        XCTAssertEqual(kernel.values, expected.data)
    }

    func testMissingObjectsAndAttributesAreTypedErrors() throws {
        let file = try HDF5File(path: strings)
        XCTAssertThrowsError(try file.readFloats("nope")) { XCTAssertEqual($0 as? HDF5Error, .missingObject("nope")) }
        XCTAssertThrowsError(try file.stringAttribute("nope")) {
            XCTAssertEqual($0 as? HDF5Error, .missingAttribute(object: "/", name: "nope"))
        }
        XCTAssertThrowsError(try file.stringAttribute("scalar_int")) {
            guard case .unexpectedType? = $0 as? HDF5Error else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try file.readFloats("model_weights")) {
            guard case .unexpectedType? = $0 as? HDF5Error else { return XCTFail("\($0)") }
        }
    }

    func testRefusesFilesThatAreNotHDF5OrAreTruncated() throws {
        let directory = try Fixtures.temporaryDirectory()
        let bytes = try Fixtures.bytes("hdf5/tiny_keras3_legacy.h5")
        let cases: [(String, [UInt8])] = [
            ("empty.h5", []),
            ("random.h5", Fixtures.noise(count: 4096, seed: 3)),
            ("truncated.h5", Array(bytes.prefix(bytes.count / 3))),
            ("header-only.h5", Array(bytes.prefix(600))),
        ]
        for (name, content) in cases {
            let path = directory.appendingPathComponent(name).path
            _ = FileManager.default.createFile(atPath: path, contents: Data(content))
            do {
                let file = try HDF5File(path: path)
                // Some truncations still open: reading what is missing must fail cleanly.
                _ = try file.readFloats("model_weights/conv/tiny/conv/kernel")
                _ = try file.stringAttribute("model_config")
                XCTFail("\(name) read without error")
            } catch {
                XCTAssertFalse(error.description.isEmpty, name)  // a typed HDF5Error, not a crash
            }
        }
        XCTAssertThrowsError(try HDF5File(path: directory.appendingPathComponent("missing.h5").path))
    }
}
