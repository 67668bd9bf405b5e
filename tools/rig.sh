#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root, or with sudo available):
#   bash tools/rig.sh demo   install what is missing, build, run scenarios/default.yaml with its report
#   bash tools/rig.sh test   install what is missing, build, run every test
# Both are idempotent: installed packages and an up-to-date build are left as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config python3 git verilator libsystemc-dev libboost-dev libyaml-cpp-dev
          nlohmann-json3-dev libcli11-dev libfmt-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
          zlib1g-dev iverilog yosys clang-14 libclang-rt-14-dev chromium
          qemu-system-x86 busybox-static cpio)  # the last three: the VFIO VM test (tests/vm), which fetches its kernel .deb itself

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "rig: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)"
}

case "${1:-}" in
  demo)
    install_missing
    build
    build/bin/irqrig run scenarios/default.yaml --report build/default-report.json
    echo "rig: report written to build/default-report.json"
    ;;
  test)
    install_missing
    build
    # Long soaks and fuzz campaigns carry the 'soak'/'fuzz' labels and run briefly here.
    ctest --preset release -j "$(nproc)" --timeout 900
    ;;
  *)
    echo "usage: bash tools/rig.sh demo|test" >&2
    exit 2
    ;;
esac
