import MobileNetIR

/// Direct 2-D convolution, `[N, C, H, W]` activations, `[O, C/groups, kH, kW]` weights, optional
/// bias `[O]`, fused activation. Each output plane accumulates one weight at a time over the
/// output positions whose input position lies inside the image (padding contributes zero).
struct ReferenceConv2D: PreparedKernel {
    let n, c, h, w: Int
    let o, kh, kw: Int
    let oh, ow: Int
    let stride, dilation: [Int]
    let pads: [Int]
    let groups: Int
    let hasBias: Bool
    let bounds: (lower: Float, upper: Float)

    init(input: [Int], weight: [Int], output: [Int], conv: Conv2D, hasBias: Bool) {
        (n, c, h, w) = (input[0], input[1], input[2], input[3])
        (o, kh, kw) = (weight[0], weight[2], weight[3])
        (oh, ow) = (output[2], output[3])
        stride = conv.stride
        dilation = conv.dilation
        pads = conv.padding.resolved(inputSize: [h, w], kernel: [kh, kw], stride: conv.stride, dilation: conv.dilation)
        groups = conv.groups
        self.hasBias = hasBias
        bounds = conv.activation.bounds
    }

    func run(_ inputs: [UnsafeBufferPointer<Float>], _ output: UnsafeMutableBufferPointer<Float>) {
        let x = inputs[0], weight = inputs[1]
        let inPerGroup = c / groups, outPerGroup = o / groups
        let plane = oh * ow
        for batch in 0..<n {
            for oc in 0..<o {
                let group = oc / outPerGroup
                let out = UnsafeMutableBufferPointer(rebasing: output[((batch * o + oc) * plane)..<((batch * o + oc + 1) * plane)])
                out.update(repeating: hasBias ? inputs[2][oc] : 0)
                for icg in 0..<inPerGroup {
                    let ic = group * inPerGroup + icg
                    let inputPlane = (batch * c + ic) * h * w
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let weightValue = weight[((oc * inPerGroup + icg) * kh + ky) * kw + kx]
                            let xOffset = kx * dilation[1] - pads[1]
                            // Output columns whose input column `ox * stride + xOffset` is inside [0, w).
                            let first = max(0, ceilDiv(-xOffset, stride[1]))
                            let last = min(ow, ceilDiv(w - xOffset, stride[1]))
                            guard first < last else { continue }
                            for oy in 0..<oh {
                                let iy = oy * stride[0] + ky * dilation[0] - pads[0]
                                guard iy >= 0, iy < h else { continue }
                                let row = inputPlane + iy * w
                                for ox in first..<last {
                                    out[oy * ow + ox] = out[oy * ow + ox].addingProduct(weightValue, x[row + ox * stride[1] + xOffset])
                                }
                            }
                        }
                    }
                }
                for i in out.indices { out[i] = min(max(out[i], bounds.lower), bounds.upper) }
            }
        }
    }
}

/// `ceil(a / b)` for a positive `b` and any sign of `a`.
func ceilDiv(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? (a + b - 1) / b : -((-a) / b)
}
