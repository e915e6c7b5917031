import CImageCodecs
import MobileNetIR

/// A decoded image: 8-bit RGB, row-major, three bytes a pixel.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3)
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A JPEG or PNG file, told apart by its first bytes.
    public static func read(_ path: String) throws(TensorIOError) -> Image {
        let bytes = try MappedFile.contents(of: path)
        do { return try decode(bytes) } catch { throw .cannotRead(path: path, reason: error.reason) }
    }

    /// JPEG (libjpeg-turbo) or PNG (libpng) bytes.
    public static func decode(_ bytes: [UInt8]) throws(TensorIOError) -> Image {
        typealias Decoder = (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, UnsafeMutablePointer<Int32>?,
                             UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<CChar>?, Int) -> Int32
        let decoder: Decoder
        let format: String
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            (decoder, format) = (mn_decode_jpeg, "JPEG")
        } else if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            (decoder, format) = (mn_decode_png, "PNG")
        } else {
            throw .notAnImage(bytes.isEmpty ? "the file is empty" : "not a JPEG or PNG file")
        }
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { decoder($0.baseAddress, $0.count, &pixels, &width, &height, &message, message.count) }
        defer { mn_image_free(pixels) }
        guard status == 0, let pixels else {
            throw .notAnImage("cannot decode this \(format): \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        let count = Int(width) * Int(height) * 3
        return Image(width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }
}

extension Image {
    /// The model's input: the centre `preprocessing.cropFraction` of the shorter side, resized to
    /// `side` x `side` by bilinear interpolation with half-pixel centres and no antialiasing (as
    /// `tf.image.resize(..., "bilinear")`; an image already `side` x `side` with the whole image
    /// kept is taken as it is), then scaled by `preprocessing`, as a batch of one in `layout`
    /// (`[1, side, side, 3]` for NHWC, `[1, 3, side, side]` for NCHW).
    public func tensor(side: Int, preprocessing p: Preprocessing, layout: TensorLayout) -> Tensor {
        let box = Double(min(width, height)) * p.cropFraction
        let left = (Double(width) - box) / 2, top = (Double(height) - box) / 2
        let step = box / Double(side)
        let order = p.channels == .rgb ? [0, 1, 2] : [2, 1, 0]
        var data = [Float](repeating: 0, count: side * side * 3)
        for y in 0..<side {
            // Source coordinates of the output pixel's centre, clamped to the image.
            let sy = min(max(top + (Double(y) + 0.5) * step - 0.5, 0), Double(height - 1))
            let y0 = Int(sy), y1 = min(y0 + 1, height - 1), fy = Float(sy - Double(y0))
            for x in 0..<side {
                let sx = min(max(left + (Double(x) + 0.5) * step - 0.5, 0), Double(width - 1))
                let x0 = Int(sx), x1 = min(x0 + 1, width - 1), fx = Float(sx - Double(x0))
                for c in 0..<3 {
                    let source = order[c]
                    func pixel(_ yy: Int, _ xx: Int) -> Float { Float(pixels[(yy * width + xx) * 3 + source]) }
                    let upper = pixel(y0, x0) + (pixel(y0, x1) - pixel(y0, x0)) * fx
                    let lower = pixel(y1, x0) + (pixel(y1, x1) - pixel(y1, x0)) * fx
                    let value = upper + (lower - upper) * fy
                    let scaled = (value * p.scale - p.mean[c]) / p.std[c]
                    let index = layout == .nhwc ? (y * side + x) * 3 + c : (c * side + y) * side + x
                    data[index] = scaled
                }
            }
        }
        return Tensor(shape: layout == .nhwc ? [1, side, side, 3] : [1, 3, side, side], data: data)
    }
}
