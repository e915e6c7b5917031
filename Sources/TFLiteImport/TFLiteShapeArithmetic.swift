import MobileNetIR

/// Integer shape arithmetic evaluated at import.
///
/// TFLite's converter writes a Keras `Reshape((classes,))` under a dynamic batch as
/// `SHAPE -> STRIDED_SLICE (shrink) -> PACK (batch, classes) -> RESHAPE`. These operators are
/// evaluated here on `ShapeElement`s (known, or a dimension fixed at run time) into the reshape's
/// target.
extension TFLiteGraphBuilder {
    /// Evaluates `op` when it computes on shapes; false when it is data flow.
    mutating func evaluateIfShapeArithmetic(_ op: TFLiteModel.Operator, index: Int) throws(TFLiteImportError) -> Bool {
        let output = op.outputs[0]
        switch op.code {
        case TFLiteOps.shape:
            let input = try required(op, 0, index)
            let x = try value(input, op: index)
            guard let ir = irShape(x.name) else { throw unsupported(op, index, "the shape of '\(name(input))' cannot be determined at import time") }
            // In TFLite's axis order.
            shapeValues[output] = x.permuted ? (0..<4).map { ir[TensorLayout.nhwc.nchwAxis($0)] } : ir
            return true
        case TFLiteOps.stridedSlice, TFLiteOps.pack, TFLiteOps.concatenation, TFLiteOps.cast:
            // Only on shapes: every operand known at import, at least one of them a shape.
            var operands: [[ShapeElement]] = []
            var onShapes = false
            for position in op.inputs.indices {
                guard let tensor = try operand(op, position, index: index) else { return false }
                if let elements = shapeValues[tensor] {
                    operands.append(elements)
                    onShapes = true
                } else if values[tensor] == nil, let known = try integerConstant(tensor) {
                    operands.append(known.map(ShapeElement.known))
                } else {
                    return false
                }
            }
            guard onShapes else { return false }
            shapeValues[output] = try evaluate(op, index: index, operands)
            return true
        default:
            return false
        }
    }

    private func evaluate(_ op: TFLiteModel.Operator, index: Int, _ operands: [[ShapeElement]]) throws(TFLiteImportError) -> [ShapeElement] {
        switch op.code {
        case TFLiteOps.cast:
            return operands[0]
        case TFLiteOps.pack:
            // PackOptions: values_count 0, axis 1.
            let axis = try field(try options(op, index, type: 59), 1, Int32(0))
            guard axis == 0, operands.allSatisfy({ $0.count == 1 }) else {
                throw unsupported(op, index, "only packing scalars along axis 0 is supported on shapes")
            }
            return operands.map { $0[0] }
        case TFLiteOps.concatenation:
            // ConcatenationOptions: axis 0.
            guard try field(try options(op, index, type: 10), 0, Int32(0)) == 0 else {
                throw unsupported(op, index, "only concatenation along axis 0 is supported on shapes")
            }
            return operands.flatMap { $0 }
        default:
            return try stridedSlice(op, index: index, operands)
        }
    }

    /// STRIDED_SLICE of a shape vector: one axis, step 1.
    private func stridedSlice(_ op: TFLiteModel.Operator, index: Int, _ operands: [[ShapeElement]]) throws(TFLiteImportError) -> [ShapeElement] {
        guard operands.count == 4, operands[1].count == 1,
              let begin = operands[1][0].knownValue, let end = operands[2].first?.knownValue, operands[3].first?.knownValue == 1 else {
            throw unsupported(op, index, "only a one-axis, step-1 slice of a shape is supported")
        }
        // StridedSliceOptions: begin_mask 0, end_mask 1, ellipsis_mask 2, new_axis_mask 3, shrink_axis_mask 4.
        let options = try self.options(op, index, type: 32)
        guard try field(options, 2, Int32(0)) == 0, try field(options, 3, Int32(0)) == 0 else {
            throw unsupported(op, index, "ellipsis and new-axis masks are not supported on shapes")
        }
        let data = operands[0], n = Int64(data.count)
        func clamp(_ v: Int64) -> Int { Int(max(0, min(n, v < 0 ? v + n : v))) }
        var lower = clamp(begin), upper = clamp(end)
        if try field(options, 0, Int32(0)) & 1 != 0 { lower = 0 }
        if try field(options, 1, Int32(0)) & 1 != 0 { upper = Int(n) }
        if try field(options, 4, Int32(0)) & 1 != 0 {
            guard lower < data.count else { throw unsupported(op, index, "index \(begin) is out of range") }
            return [data[lower]]
        }
        return lower < upper ? Array(data[lower..<upper]) : []
    }
}
