#!/usr/bin/env bash
# Proves that the release binary users run has fast kernels: AVX2 registers and FMA instructions on
# x86_64 (Package.swift passes -march=x86-64-v3; without it Swift emits SSE only and turns
# addingProduct into a call to fmaf), and hot loops in the GEMM and depthwise kernels with no call
# and no vector register spilled to the stack (Scripts/check-isa.py says how they are found).
#
#   bash Scripts/check-isa.sh [BINARY]        # default .build/release/mnconvert
set -euo pipefail
cd "$(dirname "$0")/.."
[[ "$(uname -m)" == "x86_64" ]] || { echo "check-isa: not x86_64, nothing to check"; exit 0; }
binary=${1:-.build/release/mnconvert}
[[ -x "$binary" ]] || { echo "check-isa: $binary is missing; run swift build -c release" >&2; exit 1; }
command -v objdump >/dev/null || { echo "check-isa: objdump is missing (apt-get install binutils)" >&2; exit 1; }
objdump -d --no-show-raw-insn "$binary" | python3 Scripts/check-isa.py
