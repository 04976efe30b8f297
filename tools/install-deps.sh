#!/bin/sh
# Installs tern's build and test dependencies from Debian's archive.
# Idempotent: only packages that are missing are installed, and apt's lists
# are refreshed only when something has to be installed. Runs as root or
# through sudo; always --no-install-recommends (libasio-dev would otherwise
# pull in Boost).
set -eu

# libisal-dev is the erasure codec of forward error correction; libcm256cc-dev
# is only the other candidate of its benchmark (bench/fec).
# srt-tools, rist-tools, iperf3, ngtcp2-server and ngtcp2-client are the peers of the
# real-socket benchmarks (docs/benchmarks.md). Debian's ngtcp2-server also
# ships an ngtcp2d service (gtlsserver on localhost:7777); the benchmarks
# start their own server and do not use it. tcpdump gives resume_compare.sh
# its on-the-wire figures (it runs without them when tcpdump is missing).

packages="
  build-essential cmake make pkg-config git ca-certificates
  libasio-dev libssl-dev doctest-dev libbenchmark-dev libcli11-dev
  libisal-dev libcm256cc-dev
  nlohmann-json3-dev
  clang-14 libclang-rt-14-dev
  coturn stun-server stun-client srt-tools rist-tools iperf3 jq iproute2
  ngtcp2-server ngtcp2-client openssl tcpdump
  python3 python3-matplotlib
"

missing=""
for pkg in $packages; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $pkg"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: all dependencies present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1; then
  as_root="sudo"
else
  echo "install-deps: missing packages:$missing" >&2
  echo "install-deps: run as root or install sudo" >&2
  exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
$as_root apt-get install -y -qq --no-install-recommends $missing
