#!/usr/bin/env bash
# Installs the Debian packages mnconvert builds against, if any is missing. The Swift toolchain
# itself is assumed (swift 6.0 or later on PATH).
set -euo pipefail
packages=(libprotobuf-c-dev protobuf-c-compiler libhdf5-dev libturbojpeg0-dev libpng-dev binutils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "install-deps: swift is not on PATH; install the Swift 6 toolchain" >&2; exit 1; }
