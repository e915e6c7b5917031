#!/usr/bin/env bash
# Installs what is missing, builds mnconvert in release mode, and converts the example model with
# verification, printing the report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
swift build -c release
mkdir -p .build/examples
.build/release/mnconvert Examples/mobilenet_v1_0.25_128.onnx .build/examples/mobilenet_v1_0.25_128.mnw
