#!/usr/bin/env bash
# Proves that the release build of the inference core uses AVX2 registers and FMA instructions on
# x86_64 (Package.swift passes -march=x86-64-v3; without it Swift emits SSE only and turns
# addingProduct into a call to fmaf).
#
#   bash Scripts/check-isa.sh        # after swift build -c release
set -euo pipefail
cd "$(dirname "$0")/.."
[[ "$(uname -m)" == "x86_64" ]] || { echo "check-isa: not x86_64, nothing to check"; exit 0; }
binary=.build/release/mnconvert
[[ -x "$binary" ]] || { echo "check-isa: $binary is missing; run swift build -c release" >&2; exit 1; }
command -v objdump >/dev/null || { echo "check-isa: objdump is missing (apt-get install binutils)" >&2; exit 1; }

listing=$(objdump -d --no-show-raw-insn -C "$binary")
failed=0
# Each function's disassembly: the reference convolution (the oracle, compiled with the same
# flags) and the GEMM that runs 95 % of MobileNetV1's work.
check() {
  local name=$1 pattern=$2 fmaPattern=$3
  local body ymm fma calls
  body=$(awk -v pattern="$pattern" '/^[0-9a-f]+ </ {p = ($0 ~ pattern); next} /^$/ {p=0} p' <<<"$listing")
  ymm=$(grep -c 'ymm' <<<"$body" || true)
  fma=$(grep -c "$fmaPattern" <<<"$body" || true)
  calls=$(grep -c 'call.*fmaf' <<<"$body" || true)
  echo "check-isa: $name has $ymm ymm instructions, $fma FMA instructions ($fmaPattern), $calls calls to fmaf"
  if [[ "$ymm" -eq 0 || "$fma" -eq 0 || "$calls" -ne 0 ]]; then failed=1; fi
}
check "ReferenceConv2D.run" 'ReferenceConv2D.*run' 'vfmadd'
check "FastGEMM" 'FastGEMM' 'vfmadd...ps.*ymm'
if [[ "$failed" -ne 0 ]]; then
  echo "check-isa: the release build does not use AVX2 + FMA; check the unsafeFlags in Package.swift" >&2
  exit 1
fi
