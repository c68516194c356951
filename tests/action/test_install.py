"""actions/install.sh for real, from PyPI, with every supported Python this machine has.

Each interpreter gets a fresh copy of the action and an empty environment home; they install in
parallel (one uv cache shared for the session). pip and uv see no local configuration (no pip.conf,
no PIP_* variables, no find-links), as on a fresh runner. Interpreters that are absent are skipped;
the one running the tests is always there, so the test never skips entirely. The install runs from a
directory full of modules that would announce themselves if imported (a pull request's checkout is
the working directory of the action's steps).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.report_fixtures import comp, sbom

from nix_attest import __version__
from nix_attest.sbom.cyclonedx import write_sbom

REPO_ROOT = Path(__file__).resolve().parents[2]
SUPPORTED = ("3.10", "3.11", "3.12", "3.13", "3.14")
CURRENT = f"{sys.version_info.major}.{sys.version_info.minor}"
HOSTILE_MODULES = ("hashlib", "platform", "pip", "nix_attest", "cel", "requests")

pytestmark = pytest.mark.network


def find_python(version: str) -> Path | None:
    """An interpreter of this minor version: the one running the tests, pyenv's, or pythonX.Y on PATH."""
    if version == CURRENT:
        return Path(sys.executable).resolve()
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for candidate in sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True):
        if candidate.is_file():
            return candidate
    found = shutil.which(f"python{version}")
    return Path(found).resolve() if found else None


def hostile_checkout(where: Path) -> Path:
    """A working directory whose modules leave a trace when imported."""
    where.mkdir()
    for name in HOSTILE_MODULES:
        (where / f"{name}.py").write_text(f"open({str(where / 'IMPORTED')!r}, 'a').write('{name}\\n')\n")
    (where / "pip").mkdir()
    (where / "pip" / "__main__.py").write_text(f"open({str(where / 'IMPORTED')!r}, 'a').write('pip\\n')\n")
    return where


# how this machine reaches PyPI (a TLS-inspecting proxy's CA, a proxy): network settings, not mirrors
PASS_THROUGH = ("SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT", "HTTPS_PROXY", "https_proxy", "NO_PROXY")


def runner_env(python: Path, tmp: Path, uv_cache: Path) -> dict[str, str]:
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(python)
    return {
        **{name: os.environ[name] for name in PASS_THROUGH if name in os.environ},
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp / "home"),
        "PIP_CONFIG_FILE": "/dev/null",  # what a runner sees: no local mirrors
        "PIP_NO_CACHE_DIR": "1",
        "UV_CACHE_DIR": str(uv_cache),
        "NIX_ATTEST_ENV_HOME": str(tmp / "envs"),
    }


@dataclass
class Installed:
    python: Path
    root: Path
    env: dict[str, str]
    cwd: Path
    proc: subprocess.CompletedProcess[str]
    seconds: float


def install(version: str, python: Path, base: Path, uv_cache: Path) -> Installed:
    tmp = base / version
    tmp.mkdir()
    root = tmp / "action"
    root.mkdir()
    for part in ("actions", "requirements", "src"):
        shutil.copytree(REPO_ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    env = runner_env(python, tmp, uv_cache)
    cwd = hostile_checkout(tmp / "checkout")
    started = time.monotonic()
    proc = run_install(root, env, cwd)
    return Installed(python, root, env, cwd, proc, time.monotonic() - started)


@pytest.fixture(scope="module")
def installs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Installed]:
    base = tmp_path_factory.mktemp("install")
    uv_cache = base / "uv-cache"
    found = {v: p for v in SUPPORTED if (p := find_python(v)) is not None}
    with ThreadPoolExecutor(max_workers=len(found)) as pool:
        futures = {v: pool.submit(install, v, p, base, uv_cache) for v, p in found.items()}
        return {v: f.result() for v, f in futures.items()}


@pytest.mark.parametrize("version", SUPPORTED)
def test_install_and_run_with_each_python(installs: dict[str, Installed], version: str) -> None:
    if version not in installs:
        pytest.skip(f"no Python {version} on this machine")
    done = installs[version]
    assert done.proc.returncode == 0, done.proc.stderr
    exe = Path(done.proc.stdout.strip())
    assert exe == done.root / ".nix-attest-bin" / "nix-attest"
    run = subprocess.run(
        [str(exe), "--version"], cwd=done.cwd, env=done.env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"nix-attest {__version__}"
    # the environment is the one of this interpreter, named by OS, architecture and Python version
    (env_dir,) = [p for p in Path(done.env["NIX_ATTEST_ENV_HOME"]).iterdir() if p.name.startswith("nix-")]
    assert f"-py{version}." in env_dir.name
    which = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert which.stdout.strip() == str(tuple(int(x) for x in version.split(".")))
    # nothing from the working directory (a pull request's files) was imported, by pip, uv or nix-attest
    assert not (done.cwd / "IMPORTED").exists(), (done.cwd / "IMPORTED").read_text()
    # no local mirror reached the install: pip and uv warned about nothing
    assert "ignored" not in done.proc.stderr and "file://" not in done.proc.stderr


CEL_POLICY = """version: 1
rules:
  - id: no-gpl3
    expr: '!(component.licenses.exists(l, l == "GPL-3.0-only"))'
    message: GPL-3.0-only
"""
NICKEL_POLICY = '{ version = 1, licenses = { deny = ["GPL-3.0-only"] } }\n'


@pytest.mark.parametrize("version", SUPPORTED)
def test_cel_and_nickel_work_or_say_why_not(installs: dict[str, Installed], version: str) -> None:
    """CEL has no build for 3.10 and py-nickel no wheel for 3.10/3.14: those Pythons install all the
    same, and a policy that needs the missing engine fails in one line naming the Python to use."""
    if version not in installs:
        pytest.skip(f"no Python {version} on this machine")
    done = installs[version]
    assert done.proc.returncode == 0, done.proc.stderr
    exe = done.proc.stdout.strip()
    work = done.root.parent / "policies"
    work.mkdir(exist_ok=True)
    write_sbom(sbom(comp("app", "1", lic=("GPL-3.0-only",))), str(work / "s.json"))
    (work / "cel.yaml").write_text(CEL_POLICY)
    (work / "contracts.ncl").write_text(NICKEL_POLICY)
    has_nickel = version in ("3.11", "3.12", "3.13")
    for policy, has_engine in (("cel.yaml", version != "3.10"), ("contracts.ncl", has_nickel)):
        proc = subprocess.run(
            [exe, "check", "--policy", policy, "s.json"],
            cwd=work,
            env=done.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if has_engine:
            assert proc.returncode == 1, proc.stderr  # the GPL-3.0-only component violates the policy
        else:
            assert proc.returncode == 3, proc.stdout + proc.stderr
            (line,) = proc.stderr.strip().splitlines()
            assert f"Python {version}" in line and "not installed" in line, line


def test_second_use_in_the_same_job_is_instant(installs: dict[str, Installed]) -> None:
    done = installs[CURRENT]
    assert done.proc.returncode == 0, done.proc.stderr
    started = time.monotonic()
    again = subprocess.run(
        ["bash", str(done.root / "actions" / "install.sh"), str(done.root)],
        cwd=done.cwd,
        env=done.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert again.returncode == 0 and again.stdout == done.proc.stdout
    assert again.stderr == ""  # nothing was installed
    assert elapsed < 1.0  # bench/install.py measures it (≤ 0.1 s); a loaded CI machine gets slack here


def run_install(root: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(root / "actions" / "install.sh"), str(root)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_two_installs_at_once_share_one_environment(installs: dict[str, Installed], tmp_path: Path) -> None:
    """Two jobs of one self-hosted runner, or two steps started together: both succeed, one result is
    kept, and nothing of the other is left inside it (a plain `mv` put the loser's venv into the
    winner's, and into the cache with it)."""
    done = installs[CURRENT]
    root = tmp_path / "action"
    root.mkdir()
    for part in ("actions", "requirements", "src"):
        shutil.copytree(REPO_ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    home = tmp_path / "envs"
    env = {**done.env, "NIX_ATTEST_ENV_HOME": str(home)}
    procs = [
        subprocess.Popen(
            ["bash", str(root / "actions" / "install.sh"), str(root)],
            cwd=done.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    assert [r[0] for r in results] == [0, 0], [r[2] for r in results]
    assert results[0][1] == results[1][1] != ""
    names = sorted(p.name for p in home.iterdir())
    assert len(names) == 2 and names[0].startswith("nix-attest-env-") and names[1].startswith("uv-"), names
    for directory in home.iterdir():
        assert not [p.name for p in directory.iterdir() if p.name.startswith(".") and "tmp" in p.name]
    run = subprocess.run([results[0][1].strip(), "--version"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def restored_copy(done: Installed, tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The environment home as actions/cache would restore it on another machine (a copy)."""
    home = tmp_path / "restored"
    shutil.copytree(done.env["NIX_ATTEST_ENV_HOME"], home, symlinks=True)
    (env_dir,) = [p for p in home.iterdir() if p.name.startswith("nix-attest-env-")]
    return {**done.env, "NIX_ATTEST_ENV_HOME": str(home), "NIX_ATTEST_ENV_RESTORED": "true"}, env_dir


def test_a_damaged_restored_environment_is_installed_again(
    installs: dict[str, Installed], tmp_path: Path
) -> None:
    done = installs[CURRENT]
    assert done.proc.returncode == 0, done.proc.stderr
    env, env_dir = restored_copy(done, tmp_path)
    (api,) = env_dir.glob("lib/python*/site-packages/requests/api.py")
    original = api.read_bytes()
    api.write_bytes(original[:-100])  # a truncated file, as an interrupted restore leaves it
    proc = run_install(done.root, env, done.cwd)
    assert proc.returncode == 0, proc.stderr
    assert "restored from the cache is incomplete or damaged: installing it again" in proc.stderr
    assert api.read_bytes() == original
    assert not [p for p in Path(env["NIX_ATTEST_ENV_HOME"]).iterdir() if p.name.startswith(".trash")]
    run = subprocess.run([proc.stdout.strip(), "--version"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_an_intact_restored_environment_is_checked_and_kept(
    installs: dict[str, Installed], tmp_path: Path
) -> None:
    done = installs[CURRENT]
    env, env_dir = restored_copy(done, tmp_path)
    (env_dir / "kept").write_text("")
    proc = run_install(done.root, env, done.cwd)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert (env_dir / "kept").exists()  # not reinstalled
    # a broken interpreter link is found too
    (env_dir / "bin" / "python").unlink()
    (env_dir / "bin" / "python").symlink_to(tmp_path / "gone")
    proc = run_install(done.root, env, done.cwd)
    assert proc.returncode == 0 and "installing it again" in proc.stderr
    assert not (env_dir / "kept").exists()


def test_unsupported_python_is_refused_in_one_line(tmp_path: Path) -> None:
    old = next((p for v in ("3.9", "3.8") if (p := find_python(v)) is not None), None)
    if old is None:
        pytest.skip("no Python older than 3.10 on this machine")
    root = tmp_path / "action"
    shutil.copytree(REPO_ROOT / "actions", root / "actions")
    shutil.copytree(REPO_ROOT / "requirements", root / "requirements")
    proc = subprocess.run(
        ["bash", str(root / "actions" / "install.sh"), str(root)],
        env=runner_env(old, tmp_path, tmp_path / "uv"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "nix-attest needs 3.10 to 3.14" in lines[0] and "setup-python" in lines[0]
