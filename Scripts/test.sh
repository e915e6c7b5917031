#!/usr/bin/env bash
# Runs every check: dependencies, generated code up to date, the release build and its
# instruction set, and the whole test suite (in release mode: the kernels are SIMD code).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
bash Formats/regenerate.sh --check
swift build -c release
bash Scripts/check-isa.sh
# The tests are XCTest; --disable-swift-testing keeps the empty Swift Testing run from
# printing the last summary line.
swift test -c release --disable-swift-testing
