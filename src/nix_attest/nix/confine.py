"""Evaluating pull-request Nix code away from the job's secrets.

The environment is already scrubbed (:mod:`..childenv`), but secrets also sit in files Nix code can
read: the Nix installers for GitHub Actions write ``access-tokens = github.com=<job token>`` into
``/etc/nix/nix.conf``, ``NIX_CONFIG`` may carry one, ``~/.config/nix/nix.conf`` too, and
``actions/checkout`` (before v6) keeps its token in ``.git/config``. So:

* A Nix *file* (``-f x.nix``, a ``.nix`` installable) is evaluated with ``restrict-eval``: only the
  repository it lives in (the nearest ancestor with ``.git``, else its directory), the Nix search path
  and what it fetches are readable, ``builtins.getEnv`` gives ``""``. Network fetches stay allowed
  (``allowed-uris``: https, http, git over https, github:/gitlab:/sourcehut:), but without the job's
  ``access-tokens``, and with the ``flakes`` feature off (before Nix 2.19 ``fetchTree`` ignored
  ``restrict-eval``; ``getFlake`` reads local flakes anywhere). ``pure-eval`` is no option: Nix
  ignores it for ``--file`` (2.8) or refuses the combination (current Nix).
* A *flake* is evaluated pure (Nix's default; nix-attest never passes ``--impure``), but a pure
  evaluation still reads its inputs, and an input may be a local path (``path:/etc/nix``,
  ``git+file:///home/runner/other``): Nix copies it to the store while locking. So the lock file is
  checked first (no local input outside the repository or inside ``.git``) and every flake command
  runs with ``--no-update-lock-file`` (an input missing from the lock is never fetched).
* Either way the repository itself must not hold a credential: a ``.git/config`` with an
  ``extraheader`` or a password in a URL, or a tree that contains the home directory or Nix's own
  configuration, is refused before Nix runs.

``NIX_ATTEST_ALLOWED_PATHS`` (set by whoever runs the job, separated by ``:``) names more directories
the evaluated code may read: Nix files outside the repository, local flake inputs next to it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import UsageError
from ..untrusted import check_input_file, loads_json, read_input_bytes

ALLOWED_PATHS_VARIABLE = "NIX_ATTEST_ALLOWED_PATHS"
ROOT_PREFIX = "nix-attest-source"  # the -I name under which the repository is readable

# what restricted evaluation may fetch: network schemes only (local paths are checked against the
# readable tree); ssh is left out, since it would fetch with the runner's own keys
ALLOWED_URIS = (
    "https://",
    "http://",
    "git+https://",
    "git+http://",
    "git://",
    "tarball+https://",
    "tarball+http://",
    "file+https://",
    "file+http://",
    "hg+https://",
    "github:",
    "gitlab:",
    "sourcehut:",
    "channel:",
)

_CREDENTIAL_IN_GIT_CONFIG = re.compile(
    r"^\s*extraheader\s*=|://[^/\s@:]+:[^/\s@]+@", re.IGNORECASE | re.MULTILINE
)
MAX_LOCK_BYTES = 10 * 1024 * 1024  # nixpkgs-sized lock files are ~50 kB
MAX_NIX_FILE_BYTES = 64 * 1024 * 1024  # nixpkgs' largest generated files are a few MB
_LOCAL_URL = re.compile(r"^(?:file://|/)")


def source_root(directory: Path) -> Path:
    """The repository ``directory`` belongs to: the nearest ancestor (of the path as given, before any
    symbolic link is followed) holding ``.git``, else ``directory``; symbolic links then resolved."""
    start = Path(os.path.abspath(directory))
    for candidate in (start, *start.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate.resolve()
    return start.resolve()


def allowed_paths(env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """The extra readable directories from ``NIX_ATTEST_ALLOWED_PATHS`` (resolved, existing ones)."""
    raw = (os.environ if env is None else env).get(ALLOWED_PATHS_VARIABLE, "")
    return tuple(Path(p).resolve() for p in raw.split(":") if p.strip() and Path(p).is_dir())


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _config_files(env: Mapping[str, str]) -> list[Path]:
    """Nix's configuration files (where ``access-tokens`` live), as Nix finds them."""
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    files = [Path(env.get("NIX_CONF_DIR") or "/etc/nix") / "nix.conf"]
    files += [Path(env.get("NIX_CONF_DIR") or "/etc/nix") / "netrc"]
    if env.get("NIX_USER_CONF_FILES"):
        files += [Path(p) for p in env["NIX_USER_CONF_FILES"].split(":") if p]
    else:
        config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        dirs = [config_home, *(Path(d) for d in env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":") if d)]
        files += [d / "nix" / "nix.conf" for d in dirs]
    return files


def tree_problem(root: Path, env: Mapping[str, str] | None = None) -> str | None:
    """Why Nix code must not read the tree ``root``, or None: it holds the checkout's credential or
    contains the home directory or a Nix configuration file."""
    env = os.environ if env is None else env
    git_config = root / ".git" / "config"
    try:
        text = git_config.read_text(encoding="utf-8", errors="replace") if git_config.is_file() else ""
    except OSError:
        text = ""
    if _CREDENTIAL_IN_GIT_CONFIG.search(text):
        return (
            f"{git_config} holds a credential (an http extraheader or a password in a URL) that the "
            "evaluated Nix code could read; check out with `persist-credentials: false`"
        )
    home = env.get("HOME")
    if home and _inside(Path(home).resolve(), root):
        return f"{root} contains the home directory {home}, where credentials live"
    for conf in _config_files(env):
        if _inside(Path(os.path.abspath(conf)), root):
            return f"{root} contains Nix's configuration {conf}, where access tokens live"
    return None


def _refuse_special(path: Path, what: str) -> None:
    """A Nix file of the pull request that is a link to ``/dev/zero`` or a FIFO would hang Nix until the
    evaluation budget runs out (a huge one fill its memory): refused at once, exit 2. A missing one is
    left to Nix to report."""
    try:
        check_input_file(path, MAX_NIX_FILE_BYTES)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"{what}: {path} cannot be read: {exc.strerror or exc}") from exc


def _refuse_tree(root: Path, what: str) -> None:
    problem = tree_problem(root)
    if problem:
        raise UsageError(f"refusing to evaluate {what}: {problem}")


def file_eval_args(file: str, search_path: list[str]) -> list[str]:
    """The ``nix`` options that confine the evaluation of the Nix file ``file`` (see the module doc).
    ``search_path`` is the user's Nix search path as ``-I`` arguments (current Nix drops the default
    channels under ``restrict-eval``: they are passed explicitly)."""
    root = source_root(Path(file).parent)
    _refuse_tree(root, file)
    _refuse_special(Path(file) / "default.nix" if os.path.isdir(file) else Path(file), file)
    readable: list[str] = ["-I", f"{ROOT_PREFIX}={root}"]
    for i, extra in enumerate(allowed_paths()):
        readable += ["-I", f"{ROOT_PREFIX}-{i}={extra}"]
    return [
        "--option", "restrict-eval", "true",
        "--option", "allowed-uris", " ".join(ALLOWED_URIS),
        "--option", "access-tokens", "",
        "--option", "experimental-features", "nix-command",
        *search_path,
        *readable,
    ]  # fmt: skip


def search_path_args(entries: object) -> list[str]:
    """``builtins.nixPath`` (a list of ``{prefix, path}``) as ``-I`` arguments."""
    args: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str) and entry["path"]:
            prefix, path = entry.get("prefix"), entry["path"]
            args += ["-I", f"{prefix}={path}" if isinstance(prefix, str) and prefix else path]
    return args


# --- flakes ----------------------------------------------------------------------------------------


def flake_dir(ref: str) -> Path | None:
    """The local directory of the flake reference ``ref`` (the part before ``#``), or None for a remote
    flake (``github:``, a registry name)."""
    if ref.startswith("path:"):
        text, _, query = ref[len("path:") :].partition("?")
    elif ref.startswith(("git+file:", "file:")):
        parts = urlsplit(ref.split("+", 1)[-1])
        text, query = unquote(parts.path), parts.query
    elif ref.startswith((".", "/")):
        text, _, query = ref.partition("?")
    else:
        return None
    subdir = (parse_qs(query).get("dir") or [""])[0]
    return Path(os.path.abspath(Path(text or ".") / subdir))


def _local_path(locked: dict[str, Any]) -> str | None:
    """Where a locked input is read from on this machine, or None for a remote one."""
    kind = locked.get("type")
    if kind == "path":
        path = locked.get("path")
        return path if isinstance(path, str) else ""
    url = locked.get("url")
    local = isinstance(url, str) and _LOCAL_URL.match(url)
    if kind in ("git", "mercurial", "hg", "file", "tarball") and isinstance(url, str) and local:
        return unquote(urlsplit(url).path) if url.startswith("file://") else url.split("?", 1)[0]
    return None


def _follow(nodes: dict[str, Any], root_id: str, names: list[Any], depth: int = 0) -> str | None:
    """The node an input path from the root (``["sub", "dep"]``) leads to, ``follows`` resolved."""
    current: str | None = root_id
    for name in names[:32]:
        node = nodes.get(current or "")
        inputs = node.get("inputs") if isinstance(node, dict) else None
        target = inputs.get(name) if isinstance(inputs, dict) and isinstance(name, str) else None
        if isinstance(target, list) and depth < 32:
            current = _follow(nodes, root_id, target, depth + 1)
        else:
            current = target if isinstance(target, str) else None
        if current is None:
            return None
    return current


def _read_from(
    nodes: dict[str, Any], root_id: str, node_id: str, directory: Path, depth: int = 0
) -> Path | None:
    """Where the input ``node_id`` is read from on this machine (None: remote). A relative ``path``
    input is relative to its ``parent`` input (the root flake when there is none)."""
    node = nodes.get(node_id)
    locked = node.get("locked") if isinstance(node, dict) else None
    path = _local_path(locked) if isinstance(locked, dict) else None
    if path is None:
        return None
    if os.path.isabs(path):
        return Path(os.path.realpath(path))
    parent = node.get("parent") if isinstance(node, dict) else None
    base: Path | None = directory
    if isinstance(parent, list) and parent:
        parent_id = _follow(nodes, root_id, parent)
        base = (
            _read_from(nodes, root_id, parent_id, directory, depth + 1)
            if parent_id is not None and depth < 32
            else None
        )
    if base is None:
        raise UsageError(f"flake.lock: input {node_id!r}: cannot tell which directory {path!r} is in")
    return Path(os.path.realpath(base / path))


def check_flake_lock(ref: str, env: Mapping[str, str] | None = None) -> None:
    """Refuse (exit 2) a local flake whose tree holds a credential, or whose ``flake.lock`` has an
    input read from a local path outside the repository (and the allowed paths) or inside ``.git``.
    Remote flakes are not checked: the workflow, not the pull request, names them."""
    directory = flake_dir(ref)
    if directory is None:
        return
    root = source_root(directory)
    if ref.startswith("path:"):  # a path: flake's source is the whole tree, .git included
        _refuse_tree(root, ref)
    _refuse_special(directory / "flake.nix", ref)
    lock = directory / "flake.lock"
    if not os.path.lexists(lock):
        return
    try:
        doc = loads_json(read_input_bytes(lock, MAX_LOCK_BYTES))
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"{lock}: cannot be read: {reason}") from exc
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    if not isinstance(nodes, dict):
        return  # Nix itself rejects a lock file without nodes
    readable = (root, *allowed_paths(env))
    root_id = str(doc.get("root", "root"))
    for name in sorted(nodes):
        if name == root_id:
            continue
        target = _read_from(nodes, root_id, name, directory)
        if target is None:
            continue
        if not any(_inside(target, r) for r in readable):
            raise UsageError(
                f"{lock}: input {name!r} is read from {target}, outside the repository {root}; a pull "
                f"request could read any file this way (allow a directory with {ALLOWED_PATHS_VARIABLE})"
            )
        if _inside(target, root) and ".git" in target.relative_to(root).parts:
            raise UsageError(f"{lock}: input {name!r} is read from inside .git ({target})")
