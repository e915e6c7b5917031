"""Runs a .tflite file in LiteRT (ai-edge-litert) and compares it with expected outputs.

    python3 Scripts/check-tflite.py model.tflite --input x.npy --expected y.npy [--layout nchw]

LiteRT's interpreter (its default CPU kernels with XNNPACK) at the batch of x, at batch 1 (its
first sample) and at batch 3 (samples 0, 1, 0), each compared with the expected outputs relative
to their range; also what the file declares (input and output names and shapes, the operators,
the metadata). Prints one JSON object; exits 1 when anything fails.
"""
import argparse
import json
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from runtime_batches import compare_batches


def run(path, batch):
    interpreter = Interpreter(model_path=path)
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], batch.shape, strict=True)
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], batch)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def metadata(path):
    """Model.metadata as text, read with the flatbuffers package LiteRT depends on."""
    import flatbuffers
    data = open(path, "rb").read()
    table = flatbuffers.table.Table(data, flatbuffers.encode.Get(flatbuffers.packer.uoffset, data, 0))

    def vector(t, field):
        o = t.Offset(4 + 2 * field)
        return (t.Vector(o), t.VectorLen(o)) if o else (0, 0)

    def table_at(position):
        return flatbuffers.table.Table(data, table.Indirect(position))

    start, count = vector(table, 4)
    buffers = [table_at(start + 4 * i) for i in range(count)]
    start, count = vector(table, 6)
    result = {}
    for i in range(count):
        entry = table_at(start + 4 * i)
        name = entry.String(entry.Offset(4) + entry.Pos).decode()
        index = entry.Get(flatbuffers.number_types.Uint32Flags, entry.Offset(6) + entry.Pos) if entry.Offset(6) else 0
        b_start, b_count = vector(buffers[index], 0)
        result[name] = bytes(data[b_start:b_start + b_count]).decode()
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--input", required=True)
    parser.add_argument("--expected", required=True)
    parser.add_argument("--layout", choices=["nchw", "nhwc"], default="nhwc", help="the layout of --input")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()

    x, expected = np.load(args.input), np.load(args.expected)
    if args.layout == "nchw":
        x = x.transpose(0, 2, 3, 1)
    interpreter = Interpreter(model_path=args.model)
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    result = {"input": [inp["name"], inp["shape"].tolist(), inp["shape_signature"].tolist()],
              "output": [out["name"], out["shape"].tolist()],
              "ops": sorted({op["op_name"] for op in interpreter._get_ops_details()}),
              "metadata": metadata(args.model), "batches": {}}
    ok = compare_batches("litert", lambda batch: run(args.model, batch), x, expected, args.tolerance, result["batches"])
    result["ok"] = ok
    print(json.dumps(result, sort_keys=True))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
