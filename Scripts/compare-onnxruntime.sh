#!/usr/bin/env bash
# Times mnconvert's core and onnxruntime side by side on one .onnx (see compare-onnxruntime.py).
# Builds mnconvert in release mode and makes a pinned venv for onnxruntime on first use.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv-bench"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet onnxruntime==1.32.0 numpy==2.4.6
fi
(cd "$root" && swift build -c release >/dev/null)
cd "$root"
"$venv/bin/python" "$root/Scripts/compare-onnxruntime.py" "$@"
