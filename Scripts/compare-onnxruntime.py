"""mnconvert's core against onnxruntime on the same .onnx, interleaved in one run.

    bash Scripts/compare-onnxruntime.sh model.onnx [--threads 1 2] [--rounds 9] [--runs 20]

Each round times `mnconvert bench --json` and then an onnxruntime session (made once per thread
count: same input size, batch 1, fp32, the same number of threads) for the same number of runs;
the medians of the round medians are compared, and the spread of the rounds' own ratios is
printed beside them. Interleaving matters on shared machines, whose speed drifts between modes.
"""
import argparse
import json
import statistics
import subprocess
import time

import numpy as np
import onnxruntime as ort


class OnnxRuntime:
    """One session per thread count, made once; each round times `runs` runs of it."""

    def __init__(self, path, threads, warmup=5):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        spec = self.session.get_inputs()[0]
        shape = [1 if not isinstance(d, int) else d for d in spec.shape]
        self.feed = {spec.name: np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)}
        for _ in range(warmup):
            self.session.run(None, self.feed)

    def median(self, runs):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            self.session.run(None, self.feed)
            times.append((time.perf_counter() - start) * 1e3)
        return statistics.median(times)


def mnconvert_median(binary, path, threads, runs):
    out = subprocess.run([binary, "bench", path, "--threads", str(threads), "--runs", str(runs), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--binary", default=".build/release/mnconvert")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"{args.model}, onnxruntime {ort.__version__}, {args.rounds} interleaved rounds of {args.runs} runs")
    print("threads  mnconvert ms  onnxruntime ms  ratio  round ratios")
    for threads in args.threads:
        ours, theirs = [], []
        onnxruntime = OnnxRuntime(args.model, threads)
        for _ in range(args.rounds):
            ours.append(mnconvert_median(args.binary, args.model, threads, args.runs))
            theirs.append(onnxruntime.median(args.runs))
        a, b = statistics.median(ours), statistics.median(theirs)
        rounds = [x / y for x, y in zip(ours, theirs)]
        print(f"{threads:7d}  {a:12.3f}  {b:14.3f}  {a / b:5.2f}  {min(rounds):.2f}-{max(rounds):.2f}")


if __name__ == "__main__":
    main()
