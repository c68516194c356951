"""No token reaches pull-request Nix code through Nix's own configuration.

The Nix installers for GitHub Actions write ``access-tokens = github.com=<job token>`` into
``/etc/nix/nix.conf`` (DeterminateSystems/nix-installer-action by default, cachix/install-nix-action
from ``github.token``); ``NIX_CONFIG`` and ``~/.config/nix/nix.conf`` may hold one too, and
``actions/checkout`` before v6 keeps its token in ``.git/config``. Here a fixture ``nix.conf`` (through
``NIX_CONF_DIR`` and ``NIX_USER_CONF_FILES``) and ``NIX_CONFIG`` hold fake tokens, and a Nix file or a
flake tries every way we know to read them."""

from __future__ import annotations

import http.server
import io
import json
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers.gitrepo import git

from nix_attest.cli import main
from nix_attest.nix import confine

pytestmark = pytest.mark.nix

NIX = ["nix", "--extra-experimental-features", "nix-command flakes"]
SYSTEM_TOKEN = "ghp_FAKE_SYSTEM_CONF_TOKEN"
USER_TOKEN = "ghp_FAKE_USER_CONF_TOKEN"
ENV_TOKEN = "ghp_FAKE_NIX_CONFIG_TOKEN"
CHECKOUT_TOKEN = "Z2hzX0ZBS0VfQ0hFQ0tPVVRfVE9LRU4="  # base64 of a fake ghs_ token
TOKENS = (SYSTEM_TOKEN, USER_TOKEN, ENV_TOKEN, CHECKOUT_TOKEN)


@pytest.fixture
def conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Nix configuration holding tokens the way a GitHub runner's does; returns its directory."""
    etc = tmp_path / "etc-nix"
    etc.mkdir()
    real = Path("/etc/nix/nix.conf")
    base = real.read_text() if real.is_file() else ""
    (etc / "nix.conf").write_text(f"{base}\naccess-tokens = github.com={SYSTEM_TOKEN}\n")
    user = tmp_path / "user-nix.conf"
    user.write_text(f"access-tokens = github.com={USER_TOKEN}\n")
    monkeypatch.setenv("NIX_CONF_DIR", str(etc))
    monkeypatch.setenv("NIX_USER_CONF_FILES", str(user))
    monkeypatch.setenv(
        "NIX_CONFIG", f"substituters =\nwarn-dirty = false\naccess-tokens = github.com={ENV_TOKEN}"
    )
    return etc


def _repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q")
    (path / "data.txt").write_text("readable inside the repository")
    return path


def _other(tmp_path: Path) -> Path:
    """Another checkout on the runner, holding a token."""
    other = _repo(tmp_path / "other")
    (other / "nix.conf").write_text(f"access-tokens = github.com={SYSTEM_TOKEN}\n")
    git(other, "add", "nix.conf")
    git(other, "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "x")
    return other


def _nix_file(repo: Path, expression: str) -> Path:
    f = repo / "leak.nix"
    f.write_text(
        'derivation { name = "leak"; system = builtins.currentSystem; builder = "/bin/sh";\n'
        '  args = [ "-c" "echo > $out" ]; }\n'
        f"// {{ meta.description = {expression}; }}\n"
    )
    return f


def _sbom(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    out = tmp_path / "sbom.json"
    code = main(["sbom", "--no-build", "--quiet", *args, "-o", str(out)])
    captured = capsys.readouterr()
    text = out.read_text() if out.exists() else ""
    for token in TOKENS:
        assert token not in text + captured.out + captured.err, token
    return code, text, captured.err


def test_the_fixture_does_leak_without_restricted_evaluation(conf: Path, tmp_path: Path) -> None:
    """The control: plain Nix reads every one of these tokens."""
    repo = _repo(tmp_path / "repo")
    reads = f'builtins.getEnv "NIX_CONFIG" + builtins.readFile {conf}/nix.conf'
    out = subprocess.run(
        [*NIX, "eval", "--raw", "-f", str(_nix_file(repo, reads)), "meta.description"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ENV_TOKEN in out and SYSTEM_TOKEN in out


def test_a_nix_file_reads_no_token_from_the_environment(
    conf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path / "repo")
    reads = (
        'builtins.getEnv "NIX_CONFIG" + builtins.getEnv "NIX_CONF_DIR" + "|" + builtins.readFile ./data.txt'
    )
    code, text, err = _sbom(["-f", str(_nix_file(repo, reads))], tmp_path, capsys)
    assert code == 0, err
    assert json.loads(text)["metadata"]["component"]["description"] == "|readable inside the repository"


@pytest.mark.parametrize(
    "expression",
    [
        "builtins.readFile {conf}/nix.conf",
        "builtins.readFile {user}",
        'builtins.readFile "/proc/self/environ"',
        'builtins.readFile "{repo}/../etc-nix/nix.conf"',
        "builtins.readFile ./link-to-conf",  # a symbolic link in the pull request
        'builtins.readFile (builtins.path {{ path = {conf}; }} + "/nix.conf")',
        'builtins.readFile (builtins.fetchTree {{ type = "path"; path = "{conf}"; }} + "/nix.conf")',
        'builtins.readFile ((builtins.getFlake "path:{conf}") + "/nix.conf")',
        'builtins.readFile (builtins.fetchurl "file://{conf}/nix.conf")',
        'builtins.readFile (builtins.fetchGit {{ url = "{other}"; }} + "/nix.conf")',
        'builtins.concatStringsSep "," (builtins.attrNames (builtins.readDir {conf}))',
        'builtins.hashFile "sha256" {conf}/nix.conf',
    ],
)
def test_a_nix_file_reads_no_file_outside_the_repository(
    expression: str, conf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "link-to-conf").symlink_to(conf / "nix.conf")
    values = {"conf": conf, "user": tmp_path / "user-nix.conf", "repo": repo, "other": _other(tmp_path)}
    code, text, err = _sbom(["-f", str(_nix_file(repo, expression.format(**values)))], tmp_path, capsys)
    assert code == 3 and not text
    assert (
        "forbidden in restricted mode" in err or "'flakes' is disabled" in err or "'getFlake' missing" in err
    ), err


def test_the_search_path_and_the_network_still_work(
    conf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``<nixpkgs>``-style imports from NIX_PATH and fetchTarball over http(s) keep working."""
    lib = tmp_path / "channel"
    lib.mkdir()
    (lib / "default.nix").write_text('{ greeting = "from the search path"; }')
    monkeypatch.setenv("NIX_PATH", f"mylib={lib}")
    with _tarball_server({"src/hello.txt": "fetched over http"}) as url:
        repo = _repo(tmp_path / "repo")
        fetched = f'builtins.fetchTarball "{url}" + "/hello.txt"'
        reads = f'(import <mylib>).greeting + "|" + builtins.readFile ({fetched})'
        code, text, err = _sbom(["-f", str(_nix_file(repo, reads))], tmp_path, capsys)
    assert code == 0, err
    assert (
        json.loads(text)["metadata"]["component"]["description"] == "from the search path|fetched over http"
    )


@pytest.mark.parametrize(
    "config",
    [
        '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ' + CHECKOUT_TOKEN + "\n",
        '[remote "origin"]\n\turl = https://x-access-token:' + CHECKOUT_TOKEN + "@github.com/o/r\n",
    ],
)
def test_a_checkout_with_its_credential_in_git_config_is_refused(
    config: str, conf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path / "repo")
    with (repo / ".git" / "config").open("a") as f:
        f.write(config)
    code, text, err = _sbom(["-f", str(_nix_file(repo, "builtins.readFile ./.git/config"))], tmp_path, capsys)
    assert code == 2 and not text
    assert err.count("\n") == 1 and "persist-credentials: false" in err, err
    # a path: flake's source includes .git: refused the same way
    (repo / "flake.nix").write_text("{ outputs = { self }: { x = builtins.readFile ./.git/config; }; }")
    code, text, err = _sbom([f"path:{repo}#x"], tmp_path, capsys)
    assert code == 2 and "persist-credentials: false" in err, err


def test_a_tree_holding_the_home_directory_or_nix_configuration_is_refused(
    conf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    repo = _repo(home)  # a dotfiles repository in $HOME
    monkeypatch.setenv("HOME", str(home))
    code, _, err = _sbom(["-f", str(_nix_file(repo, '"x"'))], tmp_path, capsys)
    assert code == 2 and "contains the home directory" in err, err
    monkeypatch.setenv("HOME", "/nonexistent")
    monkeypatch.setenv("NIX_USER_CONF_FILES", str(repo / "nix.conf"))
    code, _, err = _sbom(["-f", str(_nix_file(repo, '"x"'))], tmp_path, capsys)
    assert code == 2 and "contains Nix's configuration" in err, err


# --- flakes ----------------------------------------------------------------------------------------

FLAKE = """{{
  inputs.conf = {{ url = "{url}"; flake = false; }};
  outputs = {{ self, conf }}: {{
    packages.x86_64-linux.default = derivation {{
      name = "leak"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ];
    }} // {{ meta.description = builtins.readFile "${{conf}}{file}"; }};
  }};
}}
"""


def _lock(flake: Path, *tracked: str) -> None:
    """Lock the git flake (a git flake sees tracked files only) and track its lock file."""
    git(flake, "add", "flake.nix", *tracked)
    subprocess.run([*NIX, "flake", "lock"], cwd=flake, check=True, capture_output=True)
    git(flake, "add", "flake.lock")


@pytest.mark.parametrize(
    ("url", "file", "locked"),
    [
        ("path:{conf}", "/nix.conf", None),  # locked by Nix: what a pull request can commit
        ("git+file://{other}", "/nix.conf", None),  # another checkout on the runner
        ("path:{repo}/.git", "/config", None),  # the checkout's own credentials
        # hand-written lock files (Nix 2.8 cannot lock these; current Nix can)
        ("file+file://{conf}/nix.conf", "", {"type": "file", "url": "file://{conf}/nix.conf"}),
        ("tarball+file:///tmp/x.tgz", "", {"type": "tarball", "url": "file:///tmp/x.tgz"}),
        ("path:{conf}", "/nix.conf", {"type": "path", "path": "{conf}"}),
        ("path:./up", "/nix.conf", {"type": "path", "path": "../etc-nix"}),
    ],
)
def test_a_flake_input_from_a_local_path_outside_the_repository_is_refused(
    url: str,
    file: str,
    locked: dict[str, str] | None,
    conf: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Pure evaluation does not stop this: Nix copies a ``path:`` input into the store while locking,
    and the flake reads it from there. The lock file is checked before Nix runs."""
    repo = _repo(tmp_path / "repo")
    values = {"conf": conf, "other": _other(tmp_path), "repo": repo}
    (repo / "flake.nix").write_text(FLAKE.format(url=url.format(**values), file=file))
    if locked is None:
        _lock(repo)
    else:
        node = {k: v.format(**values) for k, v in locked.items()} | {"narHash": "sha256-" + "A" * 43 + "="}
        lock = {
            "nodes": {
                "conf": {"flake": False, "locked": node, "original": node},
                "root": {"inputs": {"conf": "conf"}},
            },
            "root": "root",
            "version": 7,
        }
        (repo / "flake.lock").write_text(json.dumps(lock))
        git(repo, "add", "flake.nix", "flake.lock")
    code, text, err = _sbom([f"git+file://{repo}#default"], tmp_path, capsys)
    assert code == 2 and not text, err
    assert err.count("\n") == 1 and "flake.lock: input 'conf' is read from" in err, err


def test_a_flake_input_missing_from_the_lock_file_is_never_fetched(
    conf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "flake.nix").write_text(FLAKE.format(url=f"path:{conf}", file="/nix.conf"))
    git(repo, "add", "flake.nix")
    code, text, err = _sbom([f"git+file://{repo}#default"], tmp_path, capsys)
    assert code == 2 and not text
    assert "lock file" in err and "is missing or out of date" in err, err
    assert not (repo / "flake.lock").exists()


def test_a_flake_reads_neither_the_environment_nor_absolute_paths(
    conf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pure evaluation (Nix's default for flakes; nix-attest never passes --impure)."""
    repo = _repo(tmp_path / "repo")
    flake = (
        "{ outputs = { self }: { packages.x86_64-linux.default = derivation {\n"
        '  name = "leak"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ];\n'
        '} // { meta.description = builtins.getEnv "NIX_CONFIG" + "|" + EXTRA; }; }; }\n'
    )
    (repo / "flake.nix").write_text(flake.replace("EXTRA", '""'))
    git(repo, "add", "flake.nix")
    code, text, err = _sbom([f"git+file://{repo}#default"], tmp_path, capsys)
    assert code == 0, err
    assert json.loads(text)["metadata"]["component"]["description"] == "|"
    (repo / "flake.nix").write_text(flake.replace("EXTRA", f"builtins.readFile {conf}/nix.conf"))
    code, text, err = _sbom([f"git+file://{repo}#default"], tmp_path, capsys)
    assert code == 3 and "forbidden in pure eval mode" in err, err


def test_local_inputs_inside_the_repository_and_in_allowed_paths_work(
    conf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "sub").mkdir()
    (repo / "sub" / "greeting").write_text("inside")
    (repo / "flake.nix").write_text(FLAKE.format(url=f"path:{repo}/sub", file="/greeting"))
    _lock(repo, "sub/greeting")
    code, text, err = _sbom([f"git+file://{repo}#default"], tmp_path, capsys)
    assert code == 0, err
    assert json.loads(text)["metadata"]["component"]["description"] == "inside"
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "greeting").write_text("allowed")
    (repo / "flake.nix").write_text(FLAKE.format(url=f"path:{shared}", file="/greeting"))
    _lock(repo)
    monkeypatch.setenv(confine.ALLOWED_PATHS_VARIABLE, str(shared))
    code, text, err = _sbom([f"git+file://{repo}#default"], tmp_path, capsys)
    assert code == 0, err
    assert json.loads(text)["metadata"]["component"]["description"] == "allowed"


def test_relative_inputs_follow_their_parent() -> None:
    """A relative ``path`` input is relative to its parent input (lock files of current Nix)."""
    nodes = {
        "root": {"inputs": {"sub": "sub"}},
        "sub": {"locked": {"type": "path", "path": "./sub"}, "parent": [], "inputs": {"x": "x"}},
        "x": {"locked": {"type": "path", "path": "../../../etc"}, "parent": ["sub"]},
        "gh": {"locked": {"type": "github", "owner": "o", "repo": "r"}},
        "git": {"locked": {"type": "git", "url": "file:///srv/x?rev=1"}},
    }
    repo = Path("/work/repo")
    assert confine._read_from(nodes, "root", "sub", repo) == Path("/work/repo/sub")
    assert confine._read_from(nodes, "root", "x", repo) == Path("/etc")
    assert confine._read_from(nodes, "root", "gh", repo) is None
    assert confine._read_from(nodes, "root", "git", repo) == Path("/srv/x")


# --- helpers ---------------------------------------------------------------------------------------


@contextmanager
def _tarball_server(files: dict[str, str]) -> Iterator[str]:
    """A local HTTP server serving one .tar.gz with ``files``; yields its URL."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    body = buf.getvalue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/src.tar.gz"
    finally:
        server.shutdown()
        server.server_close()
