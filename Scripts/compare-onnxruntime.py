"""mnconvert's core against onnxruntime (and LiteRT) on the same model, interleaved in one run.

    bash Scripts/compare-onnxruntime.sh model.onnx [--tflite model.tflite] [--threads 1 2] [--rounds 9] [--runs 20]

Each round times `mnconvert bench --json` on the .onnx and then an onnxruntime session (made once
per thread count: same input size, batch 1, fp32, the same number of threads) for the same
number of runs; with `--tflite` (the same model as TFLite), also `mnconvert bench` on that file
and LiteRT's interpreter (XNNPACK, the same threads) on it. The medians of the round medians are
compared, and the spread of the rounds' own ratios to onnxruntime is printed beside them.
Interleaving matters on shared machines, whose speed drifts between modes.
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


class LiteRT:
    """One interpreter per thread count, made once; each round times `runs` invocations."""

    def __init__(self, path, threads, warmup=5):
        from ai_edge_litert.interpreter import Interpreter
        self.interpreter = Interpreter(model_path=path, num_threads=threads)
        self.interpreter.allocate_tensors()
        spec = self.interpreter.get_input_details()[0]
        self.interpreter.set_tensor(spec["index"], np.random.default_rng(0).uniform(-1, 1, spec["shape"]).astype(np.float32))
        for _ in range(warmup):
            self.interpreter.invoke()

    def median(self, runs):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            self.interpreter.invoke()
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
    parser.add_argument("--tflite", help="the same model as .tflite: also time mnconvert and LiteRT on it")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"{args.model}, onnxruntime {ort.__version__}, {args.rounds} interleaved rounds of {args.runs} runs (ms, medians)")
    columns = ["mnconvert onnx", "onnxruntime"] + (["mnconvert tflite", "LiteRT"] if args.tflite else [])
    print("threads  " + "  ".join(f"{c:>16}" for c in columns) + "  ratios to onnxruntime (rounds)")
    for threads in args.threads:
        timers = [lambda: mnconvert_median(args.binary, args.model, threads, args.runs), OnnxRuntime(args.model, threads).median]
        if args.tflite:
            litert = LiteRT(args.tflite, threads)
            timers += [lambda: mnconvert_median(args.binary, args.tflite, threads, args.runs), litert.median]
        rounds = [[] for _ in timers]
        for _ in range(args.rounds):
            for times, timer in zip(rounds, timers):
                times.append(timer() if timer.__code__.co_argcount == 0 else timer(args.runs))
        medians = [statistics.median(times) for times in rounds]
        ratios = []
        for column, times in enumerate(rounds):
            if column == 1:
                continue
            each = [x / y for x, y in zip(times, rounds[1])]
            ratios.append(f"{columns[column]} {medians[column] / medians[1]:.2f} ({min(each):.2f}-{max(each):.2f})")
        print(f"{threads:7d}  " + "  ".join(f"{m:16.3f}" for m in medians) + "  " + ", ".join(ratios))


if __name__ == "__main__":
    main()
