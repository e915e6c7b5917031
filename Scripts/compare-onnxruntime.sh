#!/usr/bin/env bash
# Times mnconvert's core, onnxruntime and (with --tflite) LiteRT side by side on one model (see
# compare-onnxruntime.py). Builds mnconvert in release mode and makes a pinned venv on first use.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv-bench"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet onnxruntime==1.32.0 numpy==2.4.6 ai-edge-litert==2.3.0
(cd "$root" && swift build -c release >/dev/null)
cd "$root"
"$venv/bin/python" "$root/Scripts/compare-onnxruntime.py" "$@"
