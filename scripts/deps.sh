#!/usr/bin/env bash
# Installs the Debian 12 packages teardown builds and tests with, only those
# missing, so it is quick and safe to run again. We are root on the target machine.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config g++ clang-14 clang libclang-rt-14-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  libpcap-dev libcli11-dev libfmt-dev nlohmann-json3-dev libisal-dev zlib1g-dev
  tshark iproute2 chromium fonts-dejavu-core
  curl util-linux netcat-openbsd
  libbpf-dev bpftool libmnl-dev libcpp-httplib-dev prometheus tmux
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
