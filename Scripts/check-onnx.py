"""Checks an ONNX file the way deployed runtimes will meet it, and against expected outputs.

    python3 Scripts/check-onnx.py model.onnx --input x.npy --expected y.npy [--layout nhwc]

onnx's full checker and strict shape inference; what a viewer such as Netron shows (a producer,
a typed shape on every graph input and output, a unique name on every node); then onnxruntime
(CPU) and OpenVINO (CPU, f32) at the batch of x, at batch 1 (its first sample) and at batch 3
(samples 0, 1, 0), each compared with the expected outputs relative to their range. Prints one
JSON object; exits 1 when anything fails.
"""
import argparse
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort
import openvino as ov
from runtime_batches import compare_batches


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--input", required=True)
    parser.add_argument("--expected", required=True)
    parser.add_argument("--layout", choices=["nchw", "nhwc"], default="nhwc", help="the layout of --input")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()

    model = onnx.load(args.model)
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    graph_input = model.graph.input[0]
    dims = [d.dim_param or d.dim_value for d in graph_input.type.tensor_type.shape.dim]
    x, expected = np.load(args.input), np.load(args.expected)
    model_layout = "nhwc" if dims[-1] == 3 else "nchw"
    if args.layout != model_layout:
        x = x.transpose(0, 3, 1, 2) if args.layout == "nhwc" else x.transpose(0, 2, 3, 1)
    node_names = [n.name for n in model.graph.node]
    typed = all(v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT and len(v.type.tensor_type.shape.dim) > 0
                for v in list(model.graph.input) + list(model.graph.output))
    viewer = bool(model.producer_name) and typed and all(node_names) and len(set(node_names)) == len(node_names)
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    compiled = ov.Core().compile_model(args.model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    result = {"ir_version": model.ir_version, "opset": model.opset_import[0].version, "input": [graph_input.name, dims],
              "outputs": [o.name for o in model.graph.output], "ops": sorted({n.op_type for n in model.graph.node}),
              "metadata": {p.key: p.value for p in model.metadata_props}, "producer": [model.producer_name, model.producer_version],
              "viewer_properties": viewer, "batches": {}}
    ok = viewer
    for runtime, run in [("onnxruntime", lambda batch: session.run(None, {graph_input.name: batch})[0]),
                         ("openvino", lambda batch: compiled(batch)[0])]:
        ok = compare_batches(runtime, run, x, expected, args.tolerance, result["batches"]) and ok
    result["ok"] = ok
    print(json.dumps(result, sort_keys=True))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
