#!/usr/bin/env bash
# Mutation-fuzzes every model reader through the release binary (see Scripts/fuzz.py).
#   bash Scripts/fuzz.sh [--minutes M] [--seed S]
# Failing mutants are kept in .fuzz-failures/. CI runs a one-minute round from Scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .build/release/mnconvert ]] || swift build -c release >/dev/null
python3 Scripts/fuzz.py "$@"
