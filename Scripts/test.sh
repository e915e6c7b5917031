#!/usr/bin/env bash
# Runs every check: dependencies, generated code up to date, the release build and its
# instruction set, and the whole test suite (in release mode: the kernels are SIMD code).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
bash Formats/regenerate.sh --check
swift build -c release
bash Scripts/check-isa.sh
# The Python the tests run beside mnconvert (Examples/read_mnw.py needs numpy), pinned.
if [[ ! -x .venv-test/bin/python ]] || ! cmp -s Scripts/test-requirements.txt .venv-test/requirements.txt; then
  python3 -m venv .venv-test
  .venv-test/bin/pip install --quiet -r Scripts/test-requirements.txt
  cp Scripts/test-requirements.txt .venv-test/requirements.txt
fi
# The tests are XCTest; --disable-swift-testing keeps the empty Swift Testing run from
# printing the last summary line. --disable-testable-imports makes the test build reuse the
# release build's modules as they are: with testing enabled they are compiled again, and the
# relinked .build/release/mnconvert ran 1.0-224 3.4-5.5 times slower (the GEMM's tile calling
# loadUnaligned out of line and spilling its accumulators). The tests then exercise the very
# code users run, and check-isa looks at that binary once more after them.
swift test -c release --disable-swift-testing --disable-testable-imports
bash Scripts/check-isa.sh
# One minute of mutation fuzzing of every reader through the binary users run (Scripts/fuzz.py;
# a long round: bash Scripts/fuzz.sh --minutes 60).
bash Scripts/fuzz.sh --minutes 1
