#!/usr/bin/env python3
"""Times a conversion with and without verification, side by side.

Runs `mnconvert MODEL OUT --no-verify` and `mnconvert MODEL OUT [VERIFY ARGS]` alternately,
`--runs` times each, and prints the wall time of each (min and median, from starting the process
to its exit) and their ratio: what verification costs on top of the conversion itself. Given
`--binary` more than once (two builds, say), every binary's two commands take turns in each round,
so all of them meet the same stretches of a noisy machine.

    python3 Scripts/time-conversion.py .bench-models/mobilenet_v1_1.0_224.onnx [--runs 15] \
        [--output out.mnw] [--binary .build/release/mnconvert ...] [-- OPTIONS OF THE VERIFIED RUN]
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
    parser.add_argument("--binary", action="append", help="mnconvert to time (default .build/release/mnconvert); repeatable")
    argv = sys.argv[1:]
    verify_args = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.verify_args = verify_args
    binaries = args.binary or [".build/release/mnconvert"]

    with tempfile.TemporaryDirectory() as folder:
        output = args.output or os.path.join(folder, "out.mnw")
        commands = {}
        for binary in binaries:
            commands[(binary, "no-verify")] = [binary, args.model, output, "--no-verify"]
            commands[(binary, "verified")] = [binary, args.model, output] + args.verify_args
        for command in commands.values():
            run(command)  # the first run pays for reading the files into the page cache
        times = {key: [] for key in commands}
        for _ in range(args.runs):
            for key, command in commands.items():
                times[key].append(run(command))

    for binary in binaries:
        plain, verified = times[(binary, "no-verify")], times[(binary, "verified")]
        if len(binaries) > 1:
            print(binary)
        for name, values in (("no-verify", plain), ("verified", verified)):
            print(f"{name:9} min {min(values) * 1000:6.1f} ms  median {statistics.median(values) * 1000:6.1f} ms  "
                  f"({' '.join(commands[(binary, name)][1:])})")
        print(f"ratio     min {min(verified) / min(plain):.2f}x  "
              f"median {statistics.median(verified) / statistics.median(plain):.2f}x  "
              f"over {args.runs} alternating runs of each")


if __name__ == "__main__":
    main()
