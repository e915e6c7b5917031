#!/usr/bin/env python3
"""Times a conversion with and without verification, side by side.

Runs `mnconvert MODEL OUT --no-verify` and `mnconvert MODEL OUT [VERIFY ARGS]` alternately,
`--runs` times each, and prints the wall time of each (min and median, from starting the process
to its exit) and their ratio: what verification costs on top of the conversion itself.

    python3 Scripts/time-conversion.py .bench-models/mobilenet_v1_1.0_224.onnx [--runs 15] \
        [--output out.mnw] [--binary .build/release/mnconvert] [-- --samples 4]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run(command):
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"time-conversion: {' '.join(command)} exited {done.returncode}: {done.stderr.decode().strip()}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--output", help="the file to write (default: a .mnw in a temporary folder)")
    parser.add_argument("--binary", default=".build/release/mnconvert")
    parser.add_argument("verify_args", nargs="*", help="after --: options for the verified run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        output = args.output or os.path.join(folder, "out.mnw")
        plain = [args.binary, args.model, output, "--no-verify"]
        verified = [args.binary, args.model, output] + args.verify_args
        run(plain)  # the first run pays for reading the files into the page cache
        times = {"plain": [], "verified": []}
        for _ in range(args.runs):
            times["plain"].append(run(plain))
            times["verified"].append(run(verified))

    def line(name, command, values):
        print(f"{name:9} min {min(values) * 1000:6.1f} ms  median {statistics.median(values) * 1000:6.1f} ms  "
              f"({' '.join(command[1:])})")

    line("no-verify", plain, times["plain"])
    line("verified", verified, times["verified"])
    print(f"ratio     min {min(times['verified']) / min(times['plain']):.2f}x  "
          f"median {statistics.median(times['verified']) / statistics.median(times['plain']):.2f}x  "
          f"over {args.runs} alternating runs of each")


if __name__ == "__main__":
    main()
