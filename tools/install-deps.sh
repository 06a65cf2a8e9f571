#!/usr/bin/env bash
# Installs everything smsgw needs to build, test and run its demo on Debian 12.
# Idempotent: packages already present are skipped, so a second run is quick.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev
  libssl-dev libsqlite3-dev sqlite3 libjemalloc-dev
  libfmt-dev libspdlog-dev libtomlplusplus-dev prometheus-cpp-dev
  catch2 libbenchmark-dev libsystemd-dev
  clang libclang-rt-14-dev
  nodejs npm openssl curl
  systemd logrotate
  dpkg-dev file groff-base
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# node/npm may come from nodesource (npm bundled in nodejs): do not fight it.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi

# promtool, for the tests of GET /metrics and of conf/monitoring's alert rules, comes with
# Debian's Prometheus server package (about 30 s to install, no recommends): it is not needed
# to build or run smsgw.
no_recommends=()
if ! command -v promtool >/dev/null; then no_recommends+=(prometheus); fi

if ((${#missing[@]} + ${#no_recommends[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]} ${no_recommends[*]}"
  $SUDO apt-get update -qq
  if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if ((${#no_recommends[@]})); then
    # The package would also start (and enable) a Prometheus server listening on every
    # interface: smsgw only wants its promtool. A policy-rc.d that refuses service starts
    # holds it back during the install (unless the machine already has a policy), and the
    # unit is then disabled, so nothing of ours listens beyond loopback.
    own_policy=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
      $SUDO chmod 755 /usr/sbin/policy-rc.d
      own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${no_recommends[@]}" >/dev/null || { [[ -z $own_policy ]] || $SUDO rm -f /usr/sbin/policy-rc.d; exit 1; }
    [[ -z $own_policy ]] || $SUDO rm -f /usr/sbin/policy-rc.d
    if command -v systemctl >/dev/null; then
      $SUDO systemctl disable prometheus.service >/dev/null 2>&1 || true
    fi
  fi
fi
