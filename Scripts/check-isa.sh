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

# The reference convolution kernel's run method, disassembled.
kernel=$(objdump -d --no-show-raw-insn -C "$binary" | awk '/^[0-9a-f]+ <.*ReferenceConv2D.*run/ {p=1; next} /^$/ {p=0} p')
ymm=$(grep -c 'ymm' <<<"$kernel" || true)
fma=$(grep -c 'vfmadd' <<<"$kernel" || true)
calls=$(grep -c 'call.*fmaf' <<<"$kernel" || true)
echo "check-isa: ReferenceConv2D.run has $ymm ymm instructions, $fma vfmadd, $calls calls to fmaf"
if [[ "$ymm" -eq 0 || "$fma" -eq 0 || "$calls" -ne 0 ]]; then
  echo "check-isa: the release build does not use AVX2 + FMA; check the unsafeFlags in Package.swift" >&2
  exit 1
fi
