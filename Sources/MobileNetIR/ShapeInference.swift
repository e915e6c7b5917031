extension Graph {
    /// The shape of every value (inputs, constants, node outputs) for the given input shapes.
    ///
    /// This is the one place that knows how each op maps shapes; the runtime's plan and the passes
    /// both use it. Throws when an op cannot combine the shapes it receives. `constantShapes`
    /// gives the shapes of constants the graph no longer holds (an engine keeps the weights its
    /// fast kernels read only in their packed form).
    public func inferShapes(inputShapes: [String: [Int]], constantShapes: [String: [Int]] = [:]) throws(IRError) -> [String: [Int]] {
        var shapes = constantShapes
        for (name, tensor) in constants { shapes[name] = tensor.shape }
        for input in inputs {
            guard let shape = inputShapes[input.name] else { throw .undefinedValue(node: "(graph input)", value: input.name) }
            shapes[input.name] = shape
        }
        for node in nodes {
            var operands: [[Int]?] = []
            for input in node.inputs {
                if input.isEmpty { operands.append(nil); continue }
                guard let shape = shapes[input] else { throw .undefinedValue(node: node.name, value: input) }
                operands.append(shape)
            }
            let output = try Self.outputShape(of: node, operands: operands)
            guard checkedElementCount(output) != nil else { throw .tooLarge(value: node.output, shape: output) }
            shapes[node.output] = output
        }
        return shapes
    }

    /// The output shape of `node` for the shapes of its inputs (`nil` for absent optional inputs).
    static func outputShape(of node: Node, operands: [[Int]?]) throws(IRError) -> [Int] {
        let x = operands[0]!
        func fail(_ detail: String) -> IRError { .shapeMismatch(node: node.name, op: node.op.name, detail: detail) }
        func requirePerChannel(_ positions: Range<Int>) throws(IRError) {
            guard x.count >= 2 else { throw fail("input \(x) has no channel axis") }
            for i in positions where operands[i] != nil && operands[i]! != [x[1]] {
                throw fail("parameter \(i) has shape \(operands[i]!), expected [\(x[1])]")
            }
        }
        switch node.op {
        case .conv2d(let conv):
            let w = operands[1]!
            guard x.count == 4, w.count == 4 else { throw fail("input \(x) and weight \(w) must both be rank 4") }
            guard conv.groups >= 1, x[1] % conv.groups == 0, w[0] % conv.groups == 0, w[1] * conv.groups == x[1] else {
                throw fail("weight \(w) with groups \(conv.groups) does not fit input \(x)")
            }
            if let bias = operands.count > 2 ? operands[2] : nil, bias != [w[0]] {
                throw fail("bias \(bias) does not match \(w[0]) output channels")
            }
            let (h, wd) = try spatialOutput(node: node, input: x, kernel: [w[2], w[3]], stride: conv.stride,
                                            dilation: conv.dilation, padding: conv.padding, ceilMode: false)
            return [x[0], w[0], h, wd]
        case .batchNorm:
            try requirePerChannel(1..<5)
            return x
        case .affine:
            try requirePerChannel(1..<3)
            return x
        case .activation, .identity, .sigmoid:
            return x
        case .concat(let axis):
            let a = axis < 0 ? axis + x.count : axis
            guard a >= 0, a < x.count else { throw fail("axis \(axis) is outside rank \(x.count)") }
            var out = x
            for operand in operands.dropFirst() {
                guard let y = operand, y.count == x.count, y.indices.allSatisfy({ $0 == a || y[$0] == x[$0] }) else {
                    throw fail("inputs \(operands.map { $0 ?? [] }) differ outside axis \(axis)")
                }
                out[a] += y[a]
            }
            return out
        case .pad(let pads, _):
            guard pads.count == 2 * x.count else { throw fail("\(pads.count) pads for a rank-\(x.count) input") }
            let out = x.indices.map { x[$0] + pads[$0] + pads[$0 + x.count] }
            guard out.allSatisfy({ $0 >= 0 }) else { throw fail("pads \(pads) crop \(x) below zero") }
            return out
        case .averagePool(let pool), .maxPool(let pool):
            guard x.count == 4 else { throw fail("input \(x) must be rank 4") }
            let (h, w) = try spatialOutput(node: node, input: x, kernel: pool.kernel, stride: pool.stride,
                                           dilation: [1, 1], padding: pool.padding, ceilMode: pool.ceilMode)
            return [x[0], x[1], h, w]
        case .globalAveragePool:
            guard x.count >= 3 else { throw fail("input \(x) has no spatial axes") }
            return Array(x[0..<2]) + Array(repeating: 1, count: x.count - 2)
        case .reduceMean(let axes, let keepDims):
            let normalized = try normalizedAxes(axes, rank: x.count, node: node)
            let reduced = normalized.isEmpty ? Set(x.indices) : Set(normalized)
            return x.indices.compactMap { reduced.contains($0) ? (keepDims ? 1 : nil) : x[$0] }
        case .dense:
            let w = operands[1]!
            guard let k = x.last, w.count == 2, w[1] == k else { throw fail("weight \(w) does not fit input \(x)") }
            if let bias = operands.count > 2 ? operands[2] : nil, bias != [w[0]] {
                throw fail("bias \(bias) does not match \(w[0]) outputs")
            }
            return x.dropLast() + [w[0]]
        case .reshape(let target):
            return try reshaped(x, to: target, node: node)
        case .flatten(let axis):
            let a = axis < 0 ? axis + x.count : axis
            guard (0...x.count).contains(a) else { throw fail("axis \(axis) out of range for \(x)") }
            return [x[..<a].reduce(1, *), x[a...].reduce(1, *)]
        case .squeeze(let axes):
            let normalized = Set(try normalizedAxes(axes, rank: x.count, node: node))
            if normalized.isEmpty { return x.filter { $0 != 1 } }
            for a in normalized where x[a] != 1 { throw fail("cannot squeeze axis \(a) of \(x)") }
            return x.indices.filter { !normalized.contains($0) }.map { x[$0] }
        case .unsqueeze(let axes):
            let rank = x.count + axes.count
            let normalized = Set(try normalizedAxes(axes, rank: rank, node: node))
            guard normalized.count == axes.count else { throw fail("repeated axes \(axes)") }
            var rest = x.makeIterator()
            return (0..<rank).map { normalized.contains($0) ? 1 : rest.next()! }
        case .transpose(let perm):
            guard perm.count == x.count, Set(perm) == Set(x.indices) else {
                throw .invalidAttribute(node: node.name, detail: "perm \(perm) is not a permutation of \(x.count) axes")
            }
            return perm.map { x[$0] }
        case .softmax(let axis, _):
            _ = try normalizedAxes([axis], rank: x.count, node: node)
            return x
        case .binary:
            return try broadcast(x, operands[1]!, node: node)
        }
    }

    static func spatialOutput(node: Node, input x: [Int], kernel: [Int], stride: [Int], dilation: [Int],
                              padding: Padding, ceilMode: Bool) throws(IRError) -> (Int, Int) {
        guard kernel.count == 2, stride.count == 2, dilation.count == 2,
              (kernel + stride + dilation).allSatisfy({ $0 >= 1 }) else {
            throw .invalidAttribute(node: node.name, detail: "kernel \(kernel), stride \(stride), dilation \(dilation) must be two positive numbers each")
        }
        if case .explicit(let p) = padding, p.count != 4 || p.contains(where: { $0 < 0 }) {
            throw .invalidAttribute(node: node.name, detail: "padding \(p) must be four non-negative numbers")
        }
        let pads = padding.resolved(inputSize: [x[2], x[3]], kernel: kernel, stride: stride, dilation: dilation)
        var out = [0, 0]
        for axis in 0..<2 {
            let padded = x[2 + axis] + pads[axis] + pads[axis + 2]
            let span = padded - ((kernel[axis] - 1) * dilation[axis] + 1)
            guard span >= 0 else {
                throw .shapeMismatch(node: node.name, op: node.op.name,
                                     detail: "kernel \(kernel) does not fit the padded input \(x) (pads \(pads))")
            }
            var size = span / stride[axis] + 1
            if ceilMode, span % stride[axis] != 0 {
                size += 1
                // The last window must start inside the input or its leading padding.
                if (size - 1) * stride[axis] >= x[2 + axis] + pads[axis] { size -= 1 }
            }
            out[axis] = size
        }
        return (out[0], out[1])
    }

    static func normalizedAxes(_ axes: [Int], rank: Int, node: Node) throws(IRError) -> [Int] {
        var result: [Int] = []
        for axis in axes {
            let a = axis < 0 ? axis + rank : axis
            guard (0..<rank).contains(a) else {
                throw .invalidAttribute(node: node.name, detail: "axis \(axis) out of range for rank \(rank)")
            }
            result.append(a)
        }
        return result
    }

    static func reshaped(_ x: [Int], to target: [Int], node: Node) throws(IRError) -> [Int] {
        func fail() -> IRError { .shapeMismatch(node: node.name, op: "reshape", detail: "cannot reshape \(x) to \(target)") }
        var out = target
        for (i, d) in target.enumerated() where d == 0 {
            guard i < x.count else { throw fail() }
            out[i] = x[i]
        }
        let total = x.reduce(1, *)
        let inferred = out.indices.filter { out[$0] == -1 }
        guard inferred.count <= 1, out.allSatisfy({ $0 >= -1 }) else { throw fail() }
        let known = out.filter { $0 != -1 }.reduce(1, *)
        if let i = inferred.first {
            guard known > 0, total % known == 0 else { throw fail() }
            out[i] = total / known
        }
        guard out.reduce(1, *) == total else { throw fail() }
        return out
    }

    /// Numpy broadcasting of two shapes.
    public static func broadcast(_ a: [Int], _ b: [Int], node: Node) throws(IRError) -> [Int] {
        guard let shape = broadcastShape(a, b) else {
            throw .shapeMismatch(node: node.name, op: node.op.name, detail: "cannot broadcast \(a) with \(b)")
        }
        return shape
    }
}

/// The numpy broadcast of two shapes, or nil when they do not broadcast.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    let pa = Array(repeating: 1, count: rank - a.count) + a
    let pb = Array(repeating: 1, count: rank - b.count) + b
    var out: [Int] = []
    for (da, db) in zip(pa, pb) {
        guard da == db || da == 1 || db == 1 else { return nil }
        out.append(da == 1 ? db : da)
    }
    return out
}
