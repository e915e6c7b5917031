import CHDF5
import MobileNetIR

/// A read-only HDF5 file.
///
/// ```swift
/// let file = try HDF5File(path: "model.h5")
/// let config = try file.stringAttribute("model_config", of: "/")
/// let kernel = try file.readFloats("model_weights/conv1/conv1/kernel")   // shape and values
/// ```
///
/// Every object is opened for the length of one call and closed before it returns; no HDF5 id
/// escapes this type. libhdf5 is loaded when the first file is opened, and its printing of error
/// stacks is silenced: failures arrive as `HDF5Error`. The Debian build of libhdf5 serialises
/// calls behind one lock, so reads from several threads are safe and gain nothing.
public final class HDF5File: @unchecked Sendable {
    public let path: String
    private let id: hid_t
    /// The file's size in bytes: no dataset can declare more elements than this allows.
    private let fileSize: Int

    public init(path: String) throws(HDF5Error) {
        guard mn_h5_load() != 0 else { throw .libraryMissing(String(cString: mn_h5_library_name())) }
        self.path = path
        guard mn_H5Fis_hdf5(path) > 0 else { throw .cannotOpen(path: path) }
        let id = mn_H5Fopen(path, mn_h5f_acc_rdonly(), hid_t(H5P_DEFAULT))
        guard id >= 0 else { throw .cannotOpen(path: path) }
        var size: hsize_t = 0
        guard mn_H5Fget_filesize(id, &size) >= 0 else {
            mn_H5Fclose(id)
            throw .cannotOpen(path: path)
        }
        self.id = id
        self.fileSize = Int(size)
    }

    deinit { mn_H5Fclose(id) }

    // MARK: Structure

    /// Whether an object (group or dataset) exists at `path`; every parent must exist too.
    public func exists(_ path: String) -> Bool {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            guard mn_H5Lexists(id, prefix, hid_t(H5P_DEFAULT)) > 0 else { return false }
        }
        return mn_H5Oexists_by_name(id, path.isEmpty ? "/" : path, hid_t(H5P_DEFAULT)) > 0
    }

    /// The names of the links in the group at `path`, in name order.
    public func children(of path: String) throws(HDF5Error) -> [String] {
        try withObject(path) { group throws(HDF5Error) in
            var info = H5G_info_t()
            guard mn_H5Gget_info(group, &info) >= 0 else { throw .readFailed(object: path, call: "H5Gget_info") }
            var names: [String] = []
            for index in 0..<info.nlinks {
                let length = mn_H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, hid_t(H5P_DEFAULT))
                guard length >= 0 else { throw .readFailed(object: path, call: "H5Lget_name_by_idx") }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                guard mn_H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, hid_t(H5P_DEFAULT)) >= 0 else {
                    throw .readFailed(object: path, call: "H5Lget_name_by_idx")
                }
                names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names
        }
    }

    // MARK: Datasets

    /// The shape of the dataset at `path` (`[]` for a scalar).
    public func shape(of path: String) throws(HDF5Error) -> [Int] {
        try withDataset(path) { dataset throws(HDF5Error) in try self.shape(ofDataset: dataset, path: path) }
    }

    /// The dataset at `path` as fp32 values in row-major order, with its shape. Integer and double
    /// datasets are converted by libhdf5.
    public func readFloats(_ path: String) throws(HDF5Error) -> (shape: [Int], values: [Float]) {
        try withDataset(path) { dataset throws(HDF5Error) in
            let shape = try self.shape(ofDataset: dataset, path: path)
            let count = try self.checkedCount(shape, path: path)
            try self.requireNumeric(dataset: dataset, path: path)
            var values = [Float](repeating: 0, count: count)
            let status = values.withUnsafeMutableBytes {
                mn_H5Dread(dataset, mn_h5t_native_float(), mn_h5s_all(), mn_h5s_all(), hid_t(H5P_DEFAULT), $0.baseAddress)
            }
            guard status >= 0 else { throw .readFailed(object: path, call: "H5Dread") }
            return (shape, values)
        }
    }

    // MARK: Attributes

    /// Whether the object at `object` has an attribute `name`.
    public func hasAttribute(_ name: String, of object: String = "/") throws(HDF5Error) -> Bool {
        try withObject(object) { obj throws(HDF5Error) in
            let found = mn_H5Aexists(obj, name)
            guard found >= 0 else { throw .readFailed(object: object, call: "H5Aexists") }
            return found > 0
        }
    }

    /// A string attribute, variable- or fixed-length; a one-element string array reads as its element.
    public func stringAttribute(_ name: String, of object: String = "/") throws(HDF5Error) -> String {
        let strings = try stringArrayAttribute(name, of: object)
        guard strings.count == 1 else {
            throw .unexpectedType(object: object, detail: "attribute '\(name)' holds \(strings.count) strings, expected one")
        }
        return strings[0]
    }

    /// A string or string-array attribute, variable- or fixed-length (Keras writes `layer_names` as a
    /// fixed-length array and `model_config` in either form, depending on its version).
    public func stringArrayAttribute(_ name: String, of object: String = "/") throws(HDF5Error) -> [String] {
        try withAttribute(name, of: object) { attribute throws(HDF5Error) in
            let fileType = mn_H5Aget_type(attribute)
            guard fileType >= 0 else { throw .readFailed(object: object, call: "H5Aget_type") }
            defer { mn_H5Tclose(fileType) }
            guard mn_H5Tget_class(fileType) == H5T_STRING else {
                throw .unexpectedType(object: object, detail: "attribute '\(name)' is not a string")
            }
            let count = try self.attributeElementCount(attribute, object: object)
            let memoryType = mn_H5Tcopy(mn_h5t_c_s1())
            try check(memoryType, object, "H5Tcopy")
            defer { mn_H5Tclose(memoryType) }

            if mn_H5Tis_variable_str(fileType) > 0 {
                try check(mn_H5Tset_size(memoryType, mn_h5t_variable()), object, "H5Tset_size")
                try check(mn_H5Tset_cset(memoryType, mn_H5Tget_cset(fileType)), object, "H5Tset_cset")
                let space = mn_H5Aget_space(attribute)
                try check(space, object, "H5Aget_space")
                defer { mn_H5Sclose(space) }
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                try check(mn_H5Aread(attribute, memoryType, &pointers), object, "H5Aread")
                let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
                // The strings are copied; a failure to free libhdf5's copies only leaks them.
                try check(mn_H5Dvlen_reclaim(memoryType, space, hid_t(H5P_DEFAULT), &pointers), object, "H5Dvlen_reclaim")
                return strings
            }

            let width = mn_H5Tget_size(fileType)
            guard width > 0, count.multipliedReportingOverflow(by: width).overflow == false,
                  count * width <= self.fileSize else {
                throw .implausibleShape(object: object, shape: [count, width])
            }
            try check(mn_H5Tset_size(memoryType, width), object, "H5Tset_size")
            try check(mn_H5Tset_strpad(memoryType, mn_H5Tget_strpad(fileType)), object, "H5Tset_strpad")
            try check(mn_H5Tset_cset(memoryType, mn_H5Tget_cset(fileType)), object, "H5Tset_cset")
            var bytes = [UInt8](repeating: 0, count: count * width)
            try check(mn_H5Aread(attribute, memoryType, &bytes), object, "H5Aread")
            return (0..<count).map { i in
                let slot = bytes[(i * width)..<((i + 1) * width)]
                let end = slot.firstIndex(of: 0) ?? slot.endIndex
                var text = String(decoding: slot[slot.startIndex..<end], as: UTF8.self)
                if mn_H5Tget_strpad(fileType) == H5T_STR_SPACEPAD {
                    while text.last == " " { text.removeLast() }
                }
                return text
            }
        }
    }

    /// A numeric attribute as fp64 values (scalars read as one element).
    public func numericAttribute(_ name: String, of object: String = "/") throws(HDF5Error) -> [Double] {
        try withAttribute(name, of: object) { attribute throws(HDF5Error) in
            let fileType = mn_H5Aget_type(attribute)
            guard fileType >= 0 else { throw .readFailed(object: object, call: "H5Aget_type") }
            defer { mn_H5Tclose(fileType) }
            let typeClass = mn_H5Tget_class(fileType)
            guard typeClass == H5T_INTEGER || typeClass == H5T_FLOAT else {
                throw .unexpectedType(object: object, detail: "attribute '\(name)' is not numeric")
            }
            var values = [Double](repeating: 0, count: try self.attributeElementCount(attribute, object: object))
            guard mn_H5Aread(attribute, mn_h5t_native_double(), &values) >= 0 else {
                throw .readFailed(object: object, call: "H5Aread")
            }
            return values
        }
    }

    // MARK: Scoped handles

    private func withObject<T>(_ path: String, _ body: (hid_t) throws(HDF5Error) -> T) throws(HDF5Error) -> T {
        guard exists(path) else { throw .missingObject(path) }
        let object = mn_H5Oopen(id, path.isEmpty ? "/" : path, hid_t(H5P_DEFAULT))
        guard object >= 0 else { throw .readFailed(object: path, call: "H5Oopen") }
        defer { mn_H5Oclose(object) }
        return try body(object)
    }

    private func withDataset<T>(_ path: String, _ body: (hid_t) throws(HDF5Error) -> T) throws(HDF5Error) -> T {
        guard exists(path) else { throw .missingObject(path) }
        let dataset = mn_H5Dopen2(id, path, hid_t(H5P_DEFAULT))
        guard dataset >= 0 else { throw .unexpectedType(object: path, detail: "is not a dataset") }
        defer { mn_H5Dclose(dataset) }
        return try body(dataset)
    }

    private func withAttribute<T>(_ name: String, of object: String, _ body: (hid_t) throws(HDF5Error) -> T) throws(HDF5Error) -> T {
        guard try hasAttribute(name, of: object) else { throw .missingAttribute(object: object, name: name) }
        let attribute = mn_H5Aopen_by_name(id, object.isEmpty ? "/" : object, name, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        guard attribute >= 0 else { throw .readFailed(object: object, call: "H5Aopen_by_name") }
        defer { mn_H5Aclose(attribute) }
        return try body(attribute)
    }

    // MARK: Helpers

    private func shape(ofDataset dataset: hid_t, path: String) throws(HDF5Error) -> [Int] {
        let space = mn_H5Dget_space(dataset)
        guard space >= 0 else { throw .readFailed(object: path, call: "H5Dget_space") }
        defer { mn_H5Sclose(space) }
        return try dimensions(of: space, object: path)
    }

    private func dimensions(of space: hid_t, object: String) throws(HDF5Error) -> [Int] {
        let rank = mn_H5Sget_simple_extent_ndims(space)
        guard rank >= 0, rank <= 32 else { throw .readFailed(object: object, call: "H5Sget_simple_extent_ndims") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard mn_H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
            throw .readFailed(object: object, call: "H5Sget_simple_extent_dims")
        }
        guard dims.allSatisfy({ $0 <= hsize_t(Int32.max) }) else {
            throw .implausibleShape(object: object, shape: dims.map { Int(clamping: $0) })
        }
        return dims.map { Int($0) }
    }

    private func attributeElementCount(_ attribute: hid_t, object: String) throws(HDF5Error) -> Int {
        let space = mn_H5Aget_space(attribute)
        guard space >= 0 else { throw .readFailed(object: object, call: "H5Aget_space") }
        defer { mn_H5Sclose(space) }
        return try checkedCount(try dimensions(of: space, object: object), path: object)
    }

    /// The element count of `shape`, refusing shapes that a file of this size cannot hold (a
    /// corrupt header must not make us allocate gigabytes).
    private func checkedCount(_ shape: [Int], path: String) throws(HDF5Error) -> Int {
        guard let count = checkedElementCount(shape, limit: max(fileSize, 1 << 20)) else { throw .implausibleShape(object: path, shape: shape) }
        return count
    }

    /// Turns a negative status or id of `call` into an error.
    private func check<Status: BinaryInteger>(_ status: Status, _ object: String, _ call: String) throws(HDF5Error) {
        guard status >= 0 else { throw .readFailed(object: object, call: call) }
    }

    private func requireNumeric(dataset: hid_t, path: String) throws(HDF5Error) {
        let type = mn_H5Dget_type(dataset)
        guard type >= 0 else { throw .readFailed(object: path, call: "H5Dget_type") }
        defer { mn_H5Tclose(type) }
        let typeClass = mn_H5Tget_class(type)
        guard typeClass == H5T_INTEGER || typeClass == H5T_FLOAT else {
            throw .unexpectedType(object: path, detail: "dataset is not numeric")
        }
    }
}
