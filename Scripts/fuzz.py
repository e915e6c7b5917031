"""Mutation fuzzing of every model reader, through the binary users run.

    python3 Scripts/fuzz.py [--minutes M] [--seed S] [--binary .build/release/mnconvert]

Seeds are small valid files from Tests/Fixtures, one set per format (ONNX, TensorFlow .pb, Keras
legacy .h5, .weights.h5 and .keras, .mnw, TFLite). Each mutant (a few bytes changed, a run of
bytes overwritten, the file cut short, or bytes inserted) is converted with verification
(`mnconvert MUTANT out.mnw`) under a 30 s limit. A run fails the round when it ends by a
signal or the limit, exits with anything but 0, 2 or 3, prints other than one error line on
failure, or leaves an output file after failing. Failing mutants are kept in .fuzz-failures/
with what happened. Prints one line per format and exits 1 when anything failed.
"""
import argparse
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

SEEDS = {
    "onnx": ["Examples/mobilenet_v1_0.25_128.onnx", "Tests/Fixtures/pytorch-style/mobilenet_v1_0.25_128_c10_opset7.onnx"],
    "tensorflow": ["Tests/Fixtures/tensorflow/tf1_fused_mobilenet_v1_0.25_128.pb"],
    "keras-h5": ["Tests/Fixtures/keras/mobilenet_v1_0.25_128_c37_keras3_legacy.h5", "Tests/Fixtures/keras/mobilenet_v1_0.25_128_c37_keras2.h5"],
    "keras-weights": ["Tests/Fixtures/keras/mobilenet_v1_0.25_128_c37.weights.h5"],
    "keras-zip": ["Tests/Fixtures/keras/mobilenet_v1_0.25_128_c37.keras"],
    "tflite": ["Tests/Fixtures/tflite/mobilenet_v1_0.25_128_c37.tflite", "Tests/Fixtures/tflite/mobilenet_v1_0.25_128_c37_fp16.tflite"],
    "mnw": [],  # made from the ONNX example at the start of a round
}


def mutate(data, rng):
    data = bytearray(data)
    # Structure (headers, configs, flatbuffer tables, HDF5 object headers and heaps) is mostly
    # near the start or the end; weights fill the middle.
    def position():
        region = rng.random()
        if region < 0.4:
            return rng.randrange(min(len(data), 65536))
        if region < 0.6:
            return max(0, len(data) - 1 - rng.randrange(min(len(data), 65536)))
        return rng.randrange(len(data))
    kind = rng.randrange(4)
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            data[position()] = rng.randrange(256)
    elif kind == 1:
        at = position()
        value = rng.choice([0x00, 0xFF, 0x7F, 0x80])
        for i in range(at, min(len(data), at + rng.randint(2, 64))):
            data[i] = value
    elif kind == 2:
        del data[rng.randrange(1, len(data)):]
    else:
        at = position()
        data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(data)


def run_one(binary, path, work):
    out = os.path.join(work, os.path.basename(path) + ".out.mnw")
    start = time.monotonic()
    try:
        result = subprocess.run([binary, path, out], capture_output=True, text=True, errors="replace", timeout=30)
    except subprocess.TimeoutExpired:
        return "did not finish in 30 s", time.monotonic() - start
    elapsed = time.monotonic() - start
    errors = [line for line in result.stderr.split("\n") if line and not line.startswith("mnconvert: warning:")]
    exists = os.path.exists(out)
    if os.path.exists(out):
        os.remove(out)
    if result.returncode < 0:
        return f"ended by signal {-result.returncode}: {result.stderr[-300:]}", elapsed
    if result.returncode not in (0, 2, 3):
        return f"exit {result.returncode}: {result.stderr[-300:]}", elapsed
    if result.returncode == 0:
        return (None if exists else "exit 0 without an output file"), elapsed
    if exists:
        return f"exit {result.returncode} left an output file", elapsed
    if len(errors) != 1 or not errors[0].startswith("mnconvert: error: "):
        return f"exit {result.returncode} with {len(errors)} error lines: {result.stderr[-300:]}", elapsed
    return None, elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--binary", default=".build/release/mnconvert")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--formats", nargs="+", choices=list(SEEDS), help="only these formats (default: all)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="mnconvert-fuzz-")
    failures_dir = ".fuzz-failures"
    seeds = {k: list(v) for k, v in SEEDS.items() if not args.formats or k in args.formats}
    mnw = os.path.join(work, "seed.mnw")
    if "mnw" in seeds:
        subprocess.run([args.binary, SEEDS["onnx"][0], mnw, "--no-verify"], check=True, capture_output=True)
        seeds["mnw"].append(mnw)
    contents = {fmt: [open(p, "rb").read() for p in paths] for fmt, paths in seeds.items()}
    stats = {fmt: [0, 0, 0.0] for fmt in seeds}  # runs, failures, slowest
    deadline = time.monotonic() + args.minutes * 60
    counter = 0

    def job(fmt, data, number):
        path = os.path.join(work, f"{fmt}-{number}")
        with open(path, "wb") as f:
            f.write(data)
        problem, elapsed = run_one(args.binary, path, work)
        return fmt, path, problem, elapsed

    print(f"fuzz: seed {args.seed}, {args.minutes:g} min, {args.jobs} jobs, {args.binary}")
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        pending = set()
        formats = list(seeds)
        while time.monotonic() < deadline or pending:
            while time.monotonic() < deadline and len(pending) < args.jobs * 2:
                fmt = formats[counter % len(formats)]
                data = mutate(rng.choice(contents[fmt]), rng)
                pending.add(pool.submit(job, fmt, data, counter))
                counter += 1
            done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                fmt, path, problem, elapsed = future.result()
                stats[fmt][0] += 1
                stats[fmt][2] = max(stats[fmt][2], elapsed)
                if problem:
                    stats[fmt][1] += 1
                    os.makedirs(failures_dir, exist_ok=True)
                    kept = os.path.join(failures_dir, os.path.basename(path))
                    shutil.copy(path, kept)
                    with open(kept + ".txt", "w") as f:
                        f.write(problem + "\n")
                    print(f"fuzz: FAIL {fmt}: {problem.splitlines()[0] if problem else ''} (kept {kept})", flush=True)
                os.remove(path)
    shutil.rmtree(work, ignore_errors=True)
    failed = 0
    for fmt, (runs, failures, slowest) in stats.items():
        print(f"fuzz: {fmt:14s} {runs:5d} mutants, {failures} failures, slowest {slowest:.1f} s")
        failed += failures
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
