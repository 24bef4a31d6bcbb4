#!/usr/bin/env bash
# Installs what is missing on a Debian 12 machine (idempotent) and builds s3cache.
#   scripts/setup.sh            libraries and build tools, then configure + build into ./build
#   scripts/setup.sh --tests    the same plus what the test suite needs (below)
#   scripts/setup.sh --bench    the same as --tests plus what bench/run compares with (pigz,
#                               /usr/bin/time, strace)
# Environment: BUILD_DIR (default ./build), CMAKE_ARGS (extra configure flags), JOBS,
#              TARGETS (build only these, e.g. "s3cache"; default everything).
#
# Every Debian package the build or the tests use is named here: nothing is left to a
# Recommends (everything is installed with --no-install-recommends) or to what another package
# happens to pull in.
#
# The Python test tools (moto's S3 server, boto3/botocore, the aws CLI):
#   1. if the `python3` on PATH already imports them and `aws` runs (a pyenv or a virtualenv the
#      user set up), they are used as they are;
#   2. otherwise Debian's packages are installed (python3-boto3, awscli, ...). moto is not
#      packaged by Debian 12: it goes into a virtual environment, tests/.venv, that sees
#      Debian's packages (--system-site-packages) and takes only moto itself from the Python
#      package index. pip's own variables apply: PIP_INDEX_URL for a mirror, or
#      PIP_NO_INDEX=1 PIP_FIND_LINKS=DIR for a folder of wheels. The system Python is never
#      written to (PEP 668).
# The Python that the tests then run with is given to CMake as Python3_EXECUTABLE.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${BUILD_DIR:-$root/build}
want_tests=0
want_bench=0
[ "${1:-}" = "--tests" ] && want_tests=1
[ "${1:-}" = "--bench" ] && want_tests=1 && want_bench=1

die() { echo "setup: $*" >&2; exit 1; }

# Build: compilers and CMake; Qt 6 (Core, Network, Widgets, Test come with qt6-base-dev; Charts'
# CMake package needs Qt6OpenGL from libqt6opengl6-dev, and Qt6Gui needs libgl-dev); libarchive,
# QuaZip, zstd, zlib, OpenSSL's libcrypto, xxHash (content digests); QtKeychain for the GUI; Qt's lupdate and
# lrelease (qt6-l10n-tools) for the GUI's translations (the .ts the build writes, the .qm it embeds); python3
# because configuring the tests looks for it.
packages=(build-essential cmake ninja-build pkg-config ccache
          qt6-base-dev qt6-base-dev-tools libgl-dev libqt6opengl6-dev qt6-charts-dev qtkeychain-qt6-dev qt6-l10n-tools
          libarchive-dev libquazip1-qt6-dev libzstd-dev zlib1g-dev libssl-dev libxxhash-dev
          python3)
# Tests: the archivers the interop tests compare with (GNU tar, zstd, gzip), s3rver's runtime
# (Node.js), mkfs.ext4 and mount for the whole-second file system and the tmpfs mount point of
# test_workspaces (e2fsprogs, mount: its own package, not util-linux), valgrind for the test
# that Qt's uninstrumented libraries hide from the sanitizers, and what the Python helpers and
# moto import.
test_packages=(tar zstd gzip tinyproxy-bin e2fsprogs mount valgrind)
# bench/run: the by-hand pipelines' parallel gzip, GNU time for CPU and peak RSS, strace for its
# temporary-archive check.
bench_packages=(pigz time strace)
python_packages=(python3-venv python3-boto3 python3-botocore awscli
                 python3-flask python3-flask-cors python3-werkzeug python3-requests python3-responses
                 python3-xmltodict python3-cryptography python3-dateutil python3-jinja2 python3-yaml)
test_imports='import boto3, botocore, cryptography, flask, flask_cors, moto.server'
moto_requirement='moto>=5,<6'
venv=$root/tests/.venv

test_python=""
[ $want_bench = 1 ] && packages+=("${bench_packages[@]}")
if [ $want_tests = 1 ]; then
  packages+=("${test_packages[@]}")
  # Interpreters may come from outside Debian (pyenv, NodeSource): a working command is enough,
  # and asking apt for its own npm next to NodeSource's nodejs fails with "held broken packages".
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
  path_python=$(command -v python3 || true)
  if [ -n "$path_python" ] && "$path_python" -c "$test_imports" 2>/dev/null && aws --version >/dev/null 2>&1; then
    test_python=$path_python
  else
    packages+=("${python_packages[@]}")
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq || die "apt-get update failed: is a Debian mirror reachable (see /etc/apt/sources.list*)?"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "could not install: ${missing[*]}"
fi

if [ $want_tests = 1 ]; then
  if [ -z "$test_python" ]; then
    if /usr/bin/python3 -c "$test_imports" 2>/dev/null; then
      test_python=/usr/bin/python3
    else
      if ! "$venv/bin/python" -c "$test_imports" 2>/dev/null; then
        echo "==> installing moto into $venv (Debian 12 has no package of it)"
        /usr/bin/python3 -m venv --system-site-packages "$venv"
        # Only moto: its dependencies are Debian's, installed above.
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$moto_requirement" \
          || die "could not install $moto_requirement from the Python package index into $venv. Give pip a" \
                 "mirror (PIP_INDEX_URL=...) or a folder of wheels (PIP_NO_INDEX=1 PIP_FIND_LINKS=DIR), or" \
                 "make a python3 that imports moto, boto3 and flask the first on PATH."
        "$venv/bin/python" -c "$test_imports" || die "moto in $venv does not import with Debian's packages (see above)"
      fi
      test_python=$venv/bin/python
    fi
  fi
  aws --version >/dev/null 2>&1 || die "the aws CLI does not run (apt-get install awscli)"
  # s3rver (checks SigV4 access keys), pinned in tests/package-lock.json.
  if [ ! -x tests/node_modules/.bin/s3rver ]; then
    echo "==> installing s3rver with npm"
    (cd tests && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in tests/ (is the npm registry reachable?)"
  fi
fi

echo "==> configuring and building in $build_dir"
configure=(-S "$root" -B "$build_dir" -G Ninja)
[ -n "$test_python" ] && configure+=("-DPython3_EXECUTABLE=$test_python")
# shellcheck disable=SC2086
cmake "${configure[@]}" ${CMAKE_ARGS:-} >/dev/null
# shellcheck disable=SC2086
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}" ${TARGETS:+--target $TARGETS}
