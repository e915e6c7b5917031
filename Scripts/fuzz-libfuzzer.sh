#!/usr/bin/env bash
# libFuzzer with AddressSanitizer on the parsers written in Swift alone: the TFLite importer and
# the flatbuffer reader under it (Fuzz/TFLiteImport.swift). The readers that go through C
# libraries (protobuf-c, libhdf5) are fuzzed through the binary by Scripts/fuzz.sh.
#   bash Scripts/fuzz-libfuzzer.sh [--seconds N]
# Corpus: the TFLite fixtures; crashers are written to .fuzz-failures/libfuzzer/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
[[ "${1:-}" == "--seconds" ]] && seconds=$2
build=.build/libfuzzer
mkdir -p "$build" .fuzz-failures/libfuzzer "$build/corpus"
flags=(-sanitize=fuzzer,address -parse-as-library -O -wmo)
for module in MobileNetIR FlatBuffers TFLiteImport; do
  swiftc "${flags[@]}" -module-name "$module" -emit-module -emit-module-path "$build/$module.swiftmodule" \
    -I "$build" -c Sources/"$module"/*.swift -o "$build/$module.o" 2>/dev/null
done
swiftc "${flags[@]}" -I "$build" Fuzz/TFLiteImport.swift "$build"/MobileNetIR.o "$build"/FlatBuffers.o "$build"/TFLiteImport.o \
  -o "$build/fuzz-tflite" 2>/dev/null
cp Tests/Fixtures/tflite/*.tflite Tests/Fixtures/heads/*.tflite "$build/corpus/"
"$build/fuzz-tflite" "$build/corpus" -max_total_time="$seconds" -max_len=2000000 -rss_limit_mb=2048 -timeout=10 \
  -artifact_prefix=.fuzz-failures/libfuzzer/ -print_final_stats=1 2>&1 | grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)" || true
