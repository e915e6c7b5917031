import MobileNetIR

/// Small graphs for pass tests, with deterministic pseudo-random constants.
struct GraphBuilding {
    var constants: [String: Tensor] = [:]
    var nodes: [Node] = []
    private var state: UInt64 = 0x1234_5678

    mutating func random(_ shape: [Int], in range: ClosedRange<Float> = -1...1) -> Tensor {
        let data = (0..<shape.reduce(1, *)).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return range.lowerBound + (range.upperBound - range.lowerBound) * Float(state >> 40) / Float(1 << 24)
        }
        return Tensor(shape: shape, data: data)
    }

    mutating func constant(_ name: String, _ tensor: Tensor) -> String {
        constants[name] = tensor
        return name
    }

    mutating func node(_ name: String, _ op: Op, _ inputs: [String]) -> String {
        nodes.append(Node(name: name, op: op, inputs: inputs, outputs: [name]))
        return name
    }

    func graph(input: [Int?], outputs: [String]) -> Graph {
        Graph(inputs: [GraphInput(name: "x", shape: input, layout: .nchw)], outputs: outputs, nodes: nodes,
              constants: constants, metadata: Metadata(sourceFormat: "test", producer: "", sourceInputLayout: .nchw))
    }
}
