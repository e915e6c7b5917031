import MobileNetIR

/// Turns multiplications and additions by a per-channel constant into `affine`, and merges
/// consecutive affines.
///
/// Given: `%2 = mul(%1, s)`; `%3 = add(%2, b)` with `s`, `b` constant of shape `[C, 1, 1]`,
/// `[1, C, 1, 1]`, or a scalar, and `%1` of shape `[N, C, H, W]`.
/// Result: `%3 = affine(%1, s', b')`, computed in `Double` when two are merged.
/// `sub(%1, b)` is `affine(%1, 1, -b)`. A constant that broadcasts along any other axis, or that
/// would change the output shape, is left alone; so is the first of two affines when its output
/// has another reader.
public struct MulAddToAffine: GraphPass {
    public let name = "mul-add-to-affine"
    public init() {}

    public func run(_ graph: Graph) -> (graph: Graph, rewrites: Int) {
        guard let shapes = graph.representativeShapes() else { return (graph, 0) }
        var result = graph
        var rewrites = 0
        for index in result.nodes.indices {
            let node = result.nodes[index]
            guard case .binary(let op) = node.op, op != .div,
                  let shape = shapes[node.inputs[0]], shape.count >= 2, shapes[node.output] == shape,
                  let constant = graph.constants[node.inputs[1]],
                  let perChannel = Self.perChannel(constant, rank: shape.count, channels: shape[1]) else { continue }
            let ones = [Float](repeating: 1, count: perChannel.count)
            let zeros = [Float](repeating: 0, count: perChannel.count)
            let (scale, shift) = switch op {
            case .mul: (perChannel, zeros)
            case .add: (ones, perChannel)
            default: (ones, perChannel.map { -$0 })
            }
            let scaleName = result.freshConstantName("\(node.name)/scale")
            result.constants[scaleName] = Tensor(shape: [scale.count], data: scale)
            let shiftName = result.freshConstantName("\(node.name)/shift")
            result.constants[shiftName] = Tensor(shape: [shift.count], data: shift)
            result.nodes[index] = Node(name: node.name, op: .affine, inputs: [node.inputs[0], scaleName, shiftName], outputs: node.outputs)
            rewrites += 1
        }
        return Self.mergingConsecutive(result, rewrites: rewrites)
    }

    /// The constant's values per channel when it broadcasts only along axis 1 of a rank-`rank`
    /// tensor with `channels` channels (a scalar repeats for every channel).
    static func perChannel(_ constant: Tensor, rank: Int, channels: Int) -> [Float]? {
        if constant.count == 1 { return Array(repeating: constant.data[0], count: channels) }
        guard constant.rank <= rank else { return nil }
        let aligned = Array(repeating: 1, count: rank - constant.rank) + constant.shape
        guard aligned[1] == channels, aligned.enumerated().allSatisfy({ $0.offset == 1 || $0.element == 1 }) else { return nil }
        return constant.data
    }

    /// `affine(affine(x, s1, b1), s2, b2)` is `affine(x, s1 * s2, b1 * s2 + b2)`.
    static func mergingConsecutive(_ graph: Graph, rewrites: Int) -> (graph: Graph, rewrites: Int) {
        var result = graph
        var rewrites = rewrites
        var merged = true
        while merged {
            merged = false
            let producers = result.producers(), consumers = result.consumers()
            for (index, node) in result.nodes.enumerated() where node.op == .affine {
                guard let first = producers[node.inputs[0]], result.nodes[first].op == .affine,
                      result.hasSingleConsumer(node.inputs[0], consumers),
                      let s1 = result.constants[result.nodes[first].inputs[1]], let b1 = result.constants[result.nodes[first].inputs[2]],
                      let s2 = result.constants[node.inputs[1]], let b2 = result.constants[node.inputs[2]],
                      Set([s1.count, b1.count, s2.count, b2.count]).count == 1 else { continue }
                let scale = zip(s1.data, s2.data).map { Float(Double($0) * Double($1)) }
                let shift = (0..<b1.count).map { Float(Double(b1.data[$0]) * Double(s2.data[$0]) + Double(b2.data[$0])) }
                let scaleName = result.freshConstantName("\(node.name)/scale")
                result.constants[scaleName] = Tensor(shape: [scale.count], data: scale)
                let shiftName = result.freshConstantName("\(node.name)/shift")
                result.constants[shiftName] = Tensor(shape: [shift.count], data: shift)
                result.nodes[index].inputs = [result.nodes[first].inputs[0], scaleName, shiftName]
                result.nodes.remove(at: first)
                rewrites += 1
                merged = true
                break
            }
        }
        return (result, rewrites)
    }
}
