#!/usr/bin/env bash
# Proves that the Dockerfile's runtime stage installs every shared library the CLI needs,
# without a Docker engine: maps each library of `ldd s3cache` to its Debian package and checks
# that the package is in RUNTIME_PACKAGES, pulled in by them (apt dependency closure), or part
# of every Debian base image (Essential/required packages).
#   scripts/check-runtime-deps.sh path/to/s3cache [Dockerfile]
set -euo pipefail
binary=$1
dockerfile=${2:-$(dirname "$0")/../Dockerfile}

runtime=$(sed -n 's/^ARG RUNTIME_PACKAGES="\(.*\)"$/\1/p' "$dockerfile")
[ -n "$runtime" ] || { echo "FAIL: no ARG RUNTIME_PACKAGES line in $dockerfile"; exit 1; }

# Everything the runtime packages pull in (Depends and PreDepends only, as apt installs them).
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
            --no-replaces --no-enhances $runtime 2>/dev/null | grep -v '^ ' | sed 's/:.*//; s/^<\(.*\)>$/\1/' | sort -u)
# Debian's base image always has the Priority: required packages.
base=$(dpkg-query -W -f='${Package} ${Priority}\n' 2>/dev/null | awk '$2=="required"{print $1}')

status=0
checked=0
while read -r lib path; do
  [ -n "$path" ] || continue
  pkg=$(dpkg-query -S "$(readlink -f "$path")" 2>/dev/null | head -n1 | cut -d: -f1) || true
  if [ -z "$pkg" ]; then
    pkg=$(dpkg-query -S "$path" 2>/dev/null | head -n1 | cut -d: -f1) || true
  fi
  checked=$((checked + 1))
  if [ -z "$pkg" ]; then
    echo "FAIL: $lib ($path) belongs to no Debian package"; status=1
  elif grep -qx "$pkg" <<<"$closure" || grep -qx "$pkg" <<<"$base"; then
    echo "ok: $lib <- $pkg"
  else
    echo "FAIL: $lib <- $pkg is not installed by the runtime stage (add it to RUNTIME_PACKAGES)"; status=1
  fi
done < <(ldd "$binary" | awk '/=>/ && $3 ~ /^\// {print $1, $3}')

if ldd "$binary" | grep -qE 'libQt6(Gui|Widgets)'; then
  echo "FAIL: the CLI links Qt Gui/Widgets"; status=1
fi
[ $checked -gt 0 ] || { echo "FAIL: ldd listed no libraries"; exit 1; }
echo "$checked libraries checked"
exit $status
