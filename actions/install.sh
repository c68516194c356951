#!/usr/bin/env bash
# Install nix-attest's dependencies for the `python3` on PATH (the runner's, or the one
# actions/setup-python put first) and print the path of a `nix-attest` executable.
#
#   install.sh ACTION_ROOT          install when needed; print the nix-attest executable
#   install.sh --plan ACTION_ROOT   write the step outputs key/path/ready/cache for actions/cache
#   install.sh --uv ACTION_ROOT     bootstrap the pinned uv only; print its path (scripts/lock.sh)
#
# The environment is a venv holding exactly the hash-pinned wheels of requirements/action.txt (one
# universal lock for Python 3.10-3.14 on Linux x86_64/aarch64 and macOS arm64), installed with uv, which
# is itself installed hash-pinned from requirements/uv.txt by the interpreter's own pip (`--target`, so
# externally managed Pythons are left alone). nix-attest's own code is not installed into the venv: the
# executable is a small wrapper that runs ACTION_ROOT/src with the venv's Python. So the venv depends only
# on the lock, the interpreter, the OS (with its C library or macOS version) and the architecture; it
# lives in
#   ${NIX_ATTEST_ENV_HOME:-ACTION_ROOT/.nix-attest-env}/KEY
# where KEY names those (the composite actions cache that directory with actions/cache under KEY),
# and any action version with the same lock shares it. A second use in the same job finds it complete
# and only checks a stamp. Everything is built in a temporary directory and renamed into place (a
# rename that fails when another install got there first), so an interrupted or concurrent install
# leaves nothing half-way. An environment restored from the cache (NIX_ATTEST_ENV_RESTORED=true) is
# checked once: every installed file against the size and hash its package's RECORD lists; a broken
# one is reinstalled. That finds corruption, not a cache entry forged whole: see NIX_ATTEST_CACHE.
#
# NIX_ATTEST_CACHE (the actions' `cache` input, --plan): true, false or auto. auto caches unless the
# job can sign or publish (an OIDC token is available, a release, a tag): a cache entry that another
# workflow of the repository managed to write would run with those permissions.
set -euo pipefail

mode=install
case "${1:-}" in
  --plan | --uv) mode="${1#--}"; shift ;;
esac
if [ $# -ne 1 ]; then
  echo "usage: install.sh [--plan|--uv] ACTION_ROOT" >&2
  exit 2
fi
root="$(cd "$1" && pwd)"
# The caller's directory is the checked-out repository (a pull request's files): never run Python
# there, and give every interpreter -I, so nothing in it (a hashlib.py, a pip/) can be imported.
cd "$root"
home="${NIX_ATTEST_ENV_HOME:-$root/.nix-attest-env}"
lock="$root/requirements/action.txt"

# One Python start for everything we need to know about the interpreter: the environment key (lock
# hash, Python version and executable, OS, architecture) and a refusal of unsupported versions.
if ! command -v python3 >/dev/null 2>&1; then
  echo "nix-attest: error: no python3 on PATH: add actions/setup-python (3.10 to 3.14) before this step" >&2
  exit 2
fi
key="$(python3 -I - "$lock" <<'PY'
# no f-strings, nothing newer than Python 3.0: an old interpreter must reach the version check
import hashlib, os, platform, sys
if not (3, 10) <= sys.version_info[:2] <= (3, 14):
    sys.stderr.write("nix-attest: error: python3 is %s, nix-attest needs 3.10 to 3.14: add "
                     "actions/setup-python before this step\n" % platform.python_version())
    sys.exit(2)
h = hashlib.sha256()
with open(sys.argv[1], "rb") as fh:
    h.update(fh.read())
# the venv links to this interpreter: a different build or place is a different environment; wheels
# are chosen for this C library (glibc version) or macOS version: another one may not load them
libc = "-".join(platform.libc_ver())
mac = platform.mac_ver()[0].split(".")[0]
h.update(("\0env-format-2\0%s\0%s\0%s\0%s" % (sys.version, os.path.realpath(sys.executable), libc, mac)).encode())
system = platform.system().lower()
machine = platform.machine().lower()
print("nix-attest-env-%s-%s-py%s-%s" % (system, machine, platform.python_version(), h.hexdigest()[:16]))
PY
)"
env="$home/$key"
stamp="$env/complete"

if [ "$mode" = plan ]; then
  ready=false
  [ -f "$stamp" ] && ready=true
  cache="${NIX_ATTEST_CACHE:-auto}"
  case "$cache" in
    true | false) ;;
    auto)
      cache=true
      why=""
      if [ -n "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" ]; then
        why="can sign (id-token: write)"
      elif [ "${GITHUB_EVENT_NAME:-}" = release ] || [[ "${GITHUB_REF:-}" == refs/tags/* ]]; then
        why="publishes a release or tag"
      fi
      if [ -n "$why" ]; then
        cache=false
        [ "$ready" = true ] || echo "nix-attest: not using the install cache: this job $why, and a cache entry another workflow wrote would run here (cache: true uses it anyway)" >&2
      fi
      ;;
    *)
      echo "nix-attest: error: input cache must be auto, true or false, got '$cache'" >&2
      exit 2
      ;;
  esac
  # shellcheck source=actions/output.sh
  . "$root/actions/output.sh"
  gh_output key "$key"
  gh_output path "$env"
  gh_output ready "$ready"
  gh_output cache "$cache"
  exit 0
fi

# place SRC DEST: rename a finished directory into place, atomically; fails when DEST exists and is not
# empty (another install got there first). `mv` would move SRC into DEST instead, and macOS has no -T.
place() {
  python3 -I -c 'import os, sys
try:
    os.rename(sys.argv[1], sys.argv[2])
except OSError:
    sys.exit(1)' "$1" "$2"
}

# uv, hash-pinned: pip checks every file against requirements/uv.txt (only wheels, no dependencies).
bootstrap_uv() {
  local uv_lock="$root/requirements/uv.txt" uv_home tmp
  uv_home="$home/uv-$(python3 -I -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest()[:16])' "$uv_lock")"
  if [ ! -x "$uv_home/bin/uv" ]; then
    if ! python3 -I -m pip --version >/dev/null 2>&1; then
      echo "nix-attest: error: python3 has no pip to install uv with: install python3-pip or add actions/setup-python" >&2
      exit 2
    fi
    mkdir -p "$home"
    tmp="$(mktemp -d "$home/.uv-tmp.XXXXXX")"
    PIP_ROOT_USER_ACTION=ignore python3 -I -m pip install --quiet --disable-pip-version-check --no-input \
      --require-hashes --only-binary :all: --no-deps --target "$tmp" -r "$uv_lock" >&2
    place "$tmp" "$uv_home" || rm -rf "$tmp"  # a parallel install may have won the race
  fi
  echo "$uv_home/bin/uv"
}

if [ "$mode" = uv ]; then
  bootstrap_uv
  exit 0
fi

# check_env: every file the installed packages' RECORDs list is there with its size and hash, and the
# venv's Python starts (for an environment restored from the cache; ~1 s).
check_env() {
  [ "$(cat "$stamp" 2>/dev/null)" = "$key" ] || return 1
  "$env/bin/python" -E -s - <<'PY' 2>/dev/null
import base64, hashlib, sys
from importlib import metadata
for dist in metadata.distributions():
    for f in dist.files or ():
        if f.hash is None:
            continue
        with open(f.locate(), "rb") as fh:
            data = fh.read()
        digest = base64.urlsafe_b64encode(hashlib.new(f.hash.mode, data).digest()).rstrip(b"=").decode()
        if digest != f.hash.value or (f.size is not None and f.size != len(data)):
            sys.exit("%s: %s differs from its RECORD" % (dist.metadata["Name"], f))
PY
}

if [ -f "$stamp" ] && [ "${NIX_ATTEST_ENV_RESTORED:-}" = true ] && ! check_env; then
  echo "nix-attest: the environment restored from the cache is incomplete or damaged: installing it again" >&2
  trash="$(mktemp -d "$home/.trash.XXXXXX")"
  place "$env" "$trash/env" || true
  rm -rf "$trash"
fi

if [ ! -f "$stamp" ]; then
  uv="$(bootstrap_uv)"
  mkdir -p "$home"
  tmp="$(mktemp -d "$home/.env-tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  export UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy UV_NO_CONFIG=1
  "$uv" venv --quiet --relocatable --python "$(command -v python3)" "$tmp" >&2
  "$uv" pip install --quiet --python "$tmp/bin/python" --require-hashes --no-deps --only-binary :all: \
    -r "$lock" >&2
  # Byte-compile the modules nix-attest imports when it starts, inside the venv (so the cache carries
  # them): a restored environment then starts in about a second. Cheaper than uv's --compile-bytecode
  # of every module of every package. Runs only the action's own code.
  "$tmp/bin/python" -E -s -c 'import sys; sys.path = [sys.argv[1]] + [p for p in sys.path if p]
from nix_attest.cli import build_parser; build_parser()' "$root/src" >&2
  echo "$key" > "$tmp/complete"
  if [ -d "$env" ] && [ ! -f "$stamp" ]; then  # a leftover without its stamp (never one of ours)
    trash="$(mktemp -d "$home/.trash.XXXXXX")"
    place "$env" "$trash/env" || true
    rm -rf "$trash"
  fi
  place "$tmp" "$env" || true  # a parallel install may have won the race: use its result
  trap - EXIT
  rm -rf "$tmp"
  if [ ! -f "$stamp" ]; then
    echo "nix-attest: error: installing the environment into $env failed" >&2
    exit 3
  fi
fi

# The executable: the venv's Python runs ACTION_ROOT/src. `-c` puts the working directory first on
# sys.path; the wrapper drops that entry and puts ACTION_ROOT/src first, so files in the checked-out
# (possibly hostile) repository are never importable. -E -s: no PYTHON* variables, no user site.
bin_dir="$root/.nix-attest-bin"
exe="$bin_dir/nix-attest"
q_python="$(printf %q "$env/bin/python")"
q_src="$(printf %q "$root/src")"
wrapper="#!/usr/bin/env bash
exec $q_python -E -s -c 'import sys; sys.path = [sys.argv.pop(1)] + [p for p in sys.path if p]; sys.argv[0] = \"nix-attest\"; from nix_attest.cli import entrypoint; entrypoint()' $q_src \"\$@\""
if [ ! -x "$exe" ] || [ "$(cat "$exe")" != "$wrapper" ]; then
  mkdir -p "$bin_dir"
  printf '%s\n' "$wrapper" > "$exe.tmp.$$"
  chmod 755 "$exe.tmp.$$"
  mv -f "$exe.tmp.$$" "$exe"
fi
echo "$exe"
