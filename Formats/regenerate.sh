#!/usr/bin/env bash
# Regenerates the protobuf-c code in Sources/CProtobufFormats from the schema files in Formats/.
#
#   bash Formats/regenerate.sh            # rewrite the generated files in place
#   bash Formats/regenerate.sh --check    # regenerate into a temporary folder and fail on any diff
#
# Needs protoc-c (Debian: protobuf-c-compiler).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target="$root/Sources/CProtobufFormats"
schemas=("onnx/onnx.proto" "tensorflow/graph.proto")

command -v protoc-c >/dev/null || { echo "regenerate.sh: protoc-c not found (apt-get install protobuf-c-compiler)" >&2; exit 2; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for schema in "${schemas[@]}"; do
  dir=$(dirname "$schema")
  protoc-c --proto_path="$root/Formats/$dir" --c_out="$out" "$root/Formats/$schema"
done
mkdir -p "$out/include"
mv "$out"/*.h "$out/include/"

if [[ "${1:-}" == "--check" ]]; then
  status=0
  for f in "$out"/*.c "$out"/include/*.h; do
    rel=${f#"$out/"}
    if ! diff -q "$f" "$target/$rel" >/dev/null 2>&1; then
      echo "regenerate.sh: $target/$rel differs from what protoc-c generates from Formats/; run bash Formats/regenerate.sh" >&2
      status=1
    fi
  done
  [[ $status -eq 0 ]] && echo "generated protobuf-c code is up to date ($(protoc-c --version | head -1))"
  exit $status
fi

mkdir -p "$target/include"
cp "$out"/*.c "$target/"
cp "$out"/include/*.h "$target/include/"
echo "regenerated $(ls "$out"/*.c | wc -l) files into $target"
