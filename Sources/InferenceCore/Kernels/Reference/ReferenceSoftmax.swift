import Foundation

/// Softmax along one axis, or over every axis from `axis` on when `coerced` (ONNX before opset 13).
/// The maximum is subtracted first; the sum is taken in `Double`.
struct ReferenceSoftmax: PreparedKernel {
    let outer, length, inner: Int

    init(shape: [Int], axis: Int, coerced: Bool) {
        outer = shape[..<axis].reduce(1, *)
        if coerced {
            length = shape[axis...].reduce(1, *)
            inner = 1
        } else {
            length = shape[axis]
            inner = shape[(axis + 1)...].reduce(1, *)
        }
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0]
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var maximum = -Float.infinity
                for j in 0..<length { maximum = max(maximum, x[base + j * inner]) }
                var sum = 0.0
                for j in 0..<length {
                    let e = exp(x[base + j * inner] - maximum)
                    output[base + j * inner] = e
                    sum += Double(e)
                }
                for j in 0..<length { output[base + j * inner] = Float(Double(output[base + j * inner]) / sum) }
            }
        }
    }
}
