import MobileNetIR
import XCTest

/// Validation, element counts and the graph rewrites that live in the IR.
final class GraphTests: XCTestCase {
    let metadata = Metadata(sourceFormat: "test", producer: "", sourceInputLayout: nil)

    func graph(_ nodes: [Node], outputs: [String] = ["y"], constants: [String: Tensor] = [:]) -> Graph {
        Graph(inputs: [GraphInput(name: "x", shape: [1, 4], layout: nil)], outputs: outputs, nodes: nodes, constants: constants, metadata: metadata)
    }

    func node(_ name: String, _ op: Op, _ inputs: [String], _ output: String) -> Node {
        Node(name: name, op: op, inputs: inputs, outputs: [output])
    }

    func assertInvalid(_ graph: Graph, _ expected: IRError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try graph.validate(), file: file, line: line) { error in
            XCTAssertEqual(error as? IRError, expected, file: file, line: line)
        }
    }

    func testAWellFormedGraphValidates() throws {
        let w = Tensor(shape: [3, 4], repeating: 1)
        try graph([node("fc", .dense, ["x", "w"], "h"), node("act", .activation(.relu6), ["h"], "y")], constants: ["w": w]).validate()
    }

    func testValuesMustBeDefinedOnceAndBeforeTheyAreRead() {
        assertInvalid(graph([node("b", .identity, ["a"], "y"), node("a", .identity, ["x"], "a")]), .undefinedValue(node: "b", value: "a"))
        assertInvalid(graph([node("a", .identity, ["x"], "y"), node("b", .identity, ["x"], "y")]), .duplicateValue("y"))
        assertInvalid(graph([node("a", .identity, ["x"], "x")]), .duplicateValue("x"))
        assertInvalid(graph([node("a", .identity, ["x"], "h")]), .undefinedOutput("y"))
    }

    func testArityFollowsEachOp() {
        XCTAssertThrowsError(try graph([node("fc", .dense, ["x"], "y")]).validate()) { error in
            guard case IRError.arity(node: "fc", op: "dense", _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try graph([node("add", .binary(.add), ["x", "x", "x"], "y")]).validate())
        // An absent optional input (a conv's bias) is an empty name; an absent required one is not allowed.
        let w = Tensor(shape: [3, 4], repeating: 1)
        XCTAssertNoThrow(try graph([node("fc", .dense, ["x", "w", ""], "y")], constants: ["w": w]).validate())
        XCTAssertThrowsError(try graph([node("fc", .dense, ["x", "", "w"], "y")], constants: ["w": w]).validate())
        XCTAssertThrowsError(try graph([Node(name: "two", op: .identity, inputs: ["x"], outputs: ["y", "z"])]).validate())
    }

    func testCheckedElementCountRefusesOverflowAndNegatives() {
        XCTAssertEqual(checkedElementCount([2, 3, 4]), 24)
        XCTAssertEqual(checkedElementCount([]), 1, "a scalar has one element")
        XCTAssertEqual(checkedElementCount([5, 0, 7]), 0)
        XCTAssertNil(checkedElementCount([-1, 4]))
        XCTAssertNil(checkedElementCount([Int.max, 2]), "overflows Int")
        XCTAssertNil(checkedElementCount([1 << 16, 1 << 16]), "more than Int32.max elements")
        XCTAssertEqual(checkedElementCount([10, 10], limit: 100), 100)
        XCTAssertNil(checkedElementCount([10, 11], limit: 100))
    }

    func testFirstNonFiniteIndexFindsEveryPosition() {
        for count in [1, 7, 8, 9, 16, 33] {
            XCTAssertNil(Tensor(shape: [count], repeating: 1).firstNonFiniteIndex)
            for position in 0..<count {
                for bad in [Float.nan, .infinity, -.infinity] {
                    var data = [Float](repeating: -3.5, count: count)
                    data[position] = bad
                    if position + 1 < count { data[count - 1] = .nan }
                    XCTAssertEqual(Tensor(shape: [count], data: data).firstNonFiniteIndex, position, "count \(count), \(bad) at \(position)")
                }
            }
        }
    }

    func testDeclaringResolutionSetsHeightAndWidthInTheInputsLayout() {
        var g = graph([node("a", .identity, ["x"], "y")])
        g.inputs = [GraphInput(name: "nhwc", shape: [nil, nil, nil, 3], layout: .nhwc),
                    GraphInput(name: "nchw", shape: [1, 3, 224, 224], layout: .nchw),
                    GraphInput(name: "flat", shape: [nil, 10], layout: nil)]
        let declared = g.declaringResolution(160)
        XCTAssertEqual(declared.inputs.map(\.shape), [[nil, 160, 160, 3], [1, 3, 160, 160], [nil, 10]])
        XCTAssertEqual(declared.nodes, g.nodes)
    }

    func testRemovingUnusedConstantsKeepsWhatIsReadOrReturned() {
        let one = Tensor(shape: [1], repeating: 1)
        let g = graph([node("add", .binary(.add), ["x", "read"], "y")], outputs: ["y", "returned"],
                      constants: ["read": one, "returned": one, "dropped": one])
        XCTAssertEqual(Set(g.removingUnusedConstants().constants.keys), ["read", "returned"])
    }
}
