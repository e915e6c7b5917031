"""What Scripts/check-onnx.py and Scripts/check-tflite.py both do with a runtime: run it at the
given batch, at batch 1 (the first sample) and at batch 3 (samples 0, 1, 0), and compare each
with the expected outputs relative to their range, and top-1 per sample."""
import numpy as np

BATCHES = [("given", None), ("1", [0]), ("3", [0, 1, 0])]


def compare_batches(runtime, run, x, expected, tolerance, batches):
    """Fills `batches["<runtime> <batch>"]`; returns whether every batch is within `tolerance`
    with the same top-1. `run` takes a batch of x and returns the output."""
    ok = True
    for name, rows in BATCHES:
        rows = list(range(len(x))) if rows is None else [r % len(x) for r in rows]
        got = run(np.ascontiguousarray(x[rows]))
        want = expected[rows].reshape(got.shape)
        relative = float(np.abs(got - want).max() / np.abs(want).max())
        same_top1 = bool((got.reshape(len(rows), -1).argmax(-1) == want.reshape(len(rows), -1).argmax(-1)).all())
        batches[f"{runtime} {name}"] = {"relative_to_range": relative, "top1_same": same_top1}
        ok = ok and relative <= tolerance and same_top1
    return ok
