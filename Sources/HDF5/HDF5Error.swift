/// Why an HDF5 file could not be read.
///
/// Every negative status of libhdf5 becomes one of these, with the path of the object concerned, so
/// that the importer above can name the file and the layer in its own message.
public enum HDF5Error: Error, Equatable, Sendable {
    /// libhdf5 itself could not be loaded (it is opened on first use, not linked).
    case libraryMissing(String)
    /// The file does not exist, is not HDF5, or is damaged beyond opening.
    case cannotOpen(path: String)
    /// No object at this path inside the file.
    case missingObject(String)
    /// No attribute of this name on the object.
    case missingAttribute(object: String, name: String)
    /// The object exists but holds a type the caller did not ask for (a string where numbers were
    /// expected, an integer dataset read as floats when that loses information).
    case unexpectedType(object: String, detail: String)
    /// libhdf5 returned a failure while reading: the file is truncated or corrupt.
    case readFailed(object: String, call: String)
    /// The declared shape is larger than the data a file of this size can hold.
    case implausibleShape(object: String, shape: [Int])
}

extension HDF5Error: CustomStringConvertible {
    public var description: String {
        switch self {
        case .libraryMissing(let name): "cannot load \(name); install libhdf5 (Debian: apt-get install libhdf5-dev)"
        case .cannotOpen(let path): "cannot open '\(path)' as HDF5 (missing, not HDF5, or damaged)"
        case .missingObject(let path): "no object '\(path)' in the file"
        case .missingAttribute(let object, let name): "'\(object)' has no attribute '\(name)'"
        case .unexpectedType(let object, let detail): "'\(object)': \(detail)"
        case .readFailed(let object, let call): "reading '\(object)' failed in \(call): the file is truncated or corrupt"
        case .implausibleShape(let object, let shape): "'\(object)' declares shape \(shape), more than the file holds"
        }
    }
}
