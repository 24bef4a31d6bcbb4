#!/usr/bin/env bash
# Installs what is missing on a Debian 12 machine (idempotent) and builds s3cache.
#   scripts/setup.sh            libraries and build tools, then configure + build into ./build
#   scripts/setup.sh --tests    the same plus what the test suite needs (s3rver via npm,
#                               moto/boto3/awscli via pip where absent, GNU tar, zstd, Xvfb)
# Environment: BUILD_DIR (default ./build), CMAKE_ARGS (extra configure flags), JOBS,
#              TARGETS (build only these, e.g. "s3cache"; default everything).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${BUILD_DIR:-$root/build}
want_tests=0
[ "${1:-}" = "--tests" ] && want_tests=1

packages=(build-essential cmake ninja-build pkg-config ccache
          qt6-base-dev qt6-base-dev-tools libgl-dev libarchive-dev libquazip1-qt6-dev libzstd-dev zlib1g-dev libssl-dev
          qt6-charts-dev qtkeychain-qt6-dev)
if [ $want_tests = 1 ]; then
  packages+=(tar zstd gzip pigz xvfb xauth)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Interpreters may come from outside Debian (pyenv, NodeSource): a working command is enough,
# and asking apt for its own npm next to NodeSource's nodejs fails with "held broken packages".
if [ $want_tests = 1 ]; then
  command -v python3 >/dev/null || missing+=(python3)
  python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ $want_tests = 1 ]; then
  # Independent S3 clients and the moto server: pip where they are absent.
  if ! python3 -c 'import boto3, botocore, moto, flask' 2>/dev/null || ! command -v moto_server >/dev/null \
     || ! command -v aws >/dev/null; then
    echo "==> installing moto[server], boto3 and awscli with pip"
    python3 -m pip install --quiet 'moto[server]' boto3 awscli
  fi
  # s3rver (checks SigV4 access keys), pinned in tests/package-lock.json.
  if [ ! -x tests/node_modules/.bin/s3rver ]; then
    echo "==> installing s3rver with npm"
    (cd tests && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

echo "==> configuring and building in $build_dir"
# shellcheck disable=SC2086
cmake -S "$root" -B "$build_dir" -G Ninja ${CMAKE_ARGS:-} >/dev/null
# shellcheck disable=SC2086
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}" ${TARGETS:+--target $TARGETS}
