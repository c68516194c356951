#!/usr/bin/env bash
# Regenerate the action's dependency locks; run it after changing [project.dependencies] in
# pyproject.toml (or with --upgrade to move every pin to the newest allowed release). Needs PyPI.
#
#   requirements/action.txt  one universal lock (uv pip compile --universal --generate-hashes) of
#                            pyproject.toml's dependencies for Python 3.10+ on every platform
#   requirements/uv.txt      the uv that installs it, hash-pinned (version in requirements/uv.in)
#
# Then it checks that every supported runner can install the lock from wheels alone: Python 3.10 to
# 3.14 on Linux x86_64 and aarch64 (glibc 2.35, ubuntu-22.04) and macOS arm64. A dependency without a
# wheel for some Python fails here: give it an environment marker in pyproject.toml (as py-nickel has)
# and make the feature that needs it say so. The files carry no index URL, find-links or machine path
# (tests/test_lock.py keeps it so); uv reads no pip.conf and, with UV_NO_CONFIG, no uv.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
upgrade=()
case "${1:-}" in
  --upgrade) upgrade=(--upgrade) ;;
  "") ;;
  *) echo "usage: scripts/lock.sh [--upgrade]" >&2; exit 2 ;;
esac
export UV_NO_CONFIG=1
uv="$(bash actions/install.sh --uv "$PWD")"
compile=("$uv" pip compile --quiet --universal --generate-hashes --custom-compile-command scripts/lock.sh)

"${compile[@]}" "${upgrade[@]}" --python-version 3.10 pyproject.toml -o requirements/action.txt
"${compile[@]}" "${upgrade[@]}" --python-version 3.10 requirements/uv.in -o requirements/uv.txt

pins() {  # name==version lines of a requirements file, markers and hashes dropped
  sed -n 's/^\([A-Za-z0-9][A-Za-z0-9._-]*==[^ ;\\]*\).*/\1/p' "$1" | tr 'A-Z_.' 'a-z--' | sort -u
}
locked="$(pins requirements/action.txt)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
for python in 3.10 3.11 3.12 3.13 3.14; do
  for platform in x86_64-manylinux_2_35 aarch64-manylinux_2_35 aarch64-apple-darwin; do
    # --offline: the universal compile above has just fetched every package's file list
    if ! "$uv" pip compile --quiet --offline --no-header --no-annotate --only-binary :all: \
        --python-version "$python" --python-platform "$platform" requirements/action.txt -o "$work/pins.txt"; then
      echo "lock: no wheels for Python $python on $platform (see above)" >&2
      failed=1
      continue
    fi
    extra="$(comm -13 <(echo "$locked") <(pins "$work/pins.txt"))"
    if [ -n "$extra" ]; then
      echo "lock: Python $python on $platform needs packages missing from the lock: $extra" >&2
      failed=1
    fi
  done
done
[ "$failed" -eq 0 ] || exit 1
echo "lock: requirements/action.txt ($(echo "$locked" | wc -l | tr -d ' ') packages) and requirements/uv.txt are up to date; wheels for Python 3.10-3.14 on Linux x86_64/aarch64 and macOS arm64"
