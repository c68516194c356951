"""The committed dependency locks (requirements/*.txt): portable, hashed, complete and truthful.

No network: scripts/lock.sh regenerates them and checks wheels per runner; these tests keep what it
wrote from drifting or picking up the generating machine's configuration.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCKS = sorted((REPO_ROOT / "requirements").glob("*.txt"))
SUPPORTED = ("3.10", "3.11", "3.12", "3.13", "3.14")
PLATFORMS = {  # the runners the action supports
    "linux-x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    "linux-aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    "macos-arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
}
# what a lock generated on a machine with a local mirror or wheel directory carries
MACHINE_SPECIFIC = (
    re.compile(r"file:"),
    re.compile(r"--(extra-)?index-url\b|(^|\s)-i\s"),
    re.compile(r"--find-links\b|(^|\s)-f\s"),
    re.compile(r"--trusted-host\b|(^|\s)-e\s|--editable\b"),
    re.compile(r"(^|[\s=@])(/|~/|[A-Za-z]:\\)"),  # an absolute or home path
    re.compile(r"https?://(?!pypi\.org/)"),
)


def pins(lock: Path) -> list[tuple[Requirement, list[str]]]:
    """Each requirement of a hash-pinned file with its hashes (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", lock.read_text())
    out = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        spec, *hashes = re.split(r"\s+--hash=", line)
        out.append((Requirement(spec.strip()), hashes))
    return out


def environment(python: str, platform: str) -> dict[str, str]:
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "posix",
        **PLATFORMS[platform],
    }


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: p.name)
def test_lock_carries_nothing_of_the_machine_that_made_it(lock: Path) -> None:
    for number, line in enumerate(lock.read_text().splitlines(), 1):
        if line.lstrip().startswith("#"):  # uv's header and "# via" notes
            continue
        for pattern in MACHINE_SPECIFIC:
            assert not pattern.search(line), f"{lock.name}:{number}: {line.strip()}"


@pytest.mark.parametrize(
    "line",
    [
        "--extra-index-url file:///opt/pypi/simple",
        "--index-url https://mirror.example/simple",
        "--find-links /opt/wheels",
        "-f /opt/wheels",
        "attrs @ file:///opt/wheels/attrs-26.1.0-py3-none-any.whl",
        "attrs @ /home/me/attrs-26.1.0-py3-none-any.whl",
        "-e /home/me/src/nix-attest",
    ],
)
def test_the_machine_path_check_catches_each_kind(line: str) -> None:
    assert any(pattern.search(line) for pattern in MACHINE_SPECIFIC), line


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: p.name)
def test_every_pin_is_exact_and_hashed(lock: Path) -> None:
    entries = pins(lock)
    assert entries
    for req, hashes in entries:
        (spec,) = req.specifier
        assert spec.operator == "==", req
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), req.name


def _locked_for(entries: list[tuple[Requirement, list[str]]], name: str, env: dict[str, str]) -> list[str]:
    return [
        str(r.specifier)
        for r, _ in entries
        if canonicalize_name(r.name) == canonicalize_name(name)
        and (r.marker is None or r.marker.evaluate(env))
    ]


@pytest.mark.parametrize("python", SUPPORTED)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_lock_installs_pyproject_dependencies_on_every_supported_runner(python: str, platform: str) -> None:
    """requires-python tells the truth: every dependency pyproject.toml declares for this Python has
    exactly one pin in the action's lock, within the declared range, on every supported runner."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={SUPPORTED[0]}"
    classifiers = {c.rsplit(" ", 1)[-1] for c in project["classifiers"] if "Python :: 3." in c}
    assert classifiers == set(SUPPORTED)
    entries = pins(REPO_ROOT / "requirements" / "action.txt")
    env = environment(python, platform)
    for dep in map(Requirement, project["dependencies"]):
        chosen = _locked_for(entries, dep.name, env)
        if dep.marker is not None and not dep.marker.evaluate(env):
            assert chosen == [], f"{dep.name} is locked for Python {python} although pyproject excludes it"
            continue
        assert len(chosen) == 1, f"{dep.name}: {chosen} for Python {python} on {platform}"
        assert dep.specifier.contains(chosen[0].removeprefix("=="), prereleases=True), (dep, chosen)


def test_optional_engines_are_only_left_out_where_they_have_no_wheel() -> None:
    """py-nickel and the CEL engine are the only dependencies with a Python marker, and the lock
    still installs them on 3.11-3.13 (the features that need them say so elsewhere)."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    conditional = {canonicalize_name(r.name) for r in map(Requirement, project["dependencies"]) if r.marker}
    assert conditional == {"py-nickel", "common-expression-language"}
    entries = pins(REPO_ROOT / "requirements" / "action.txt")
    for python in ("3.11", "3.12", "3.13"):
        env = environment(python, "linux-x86_64")
        assert _locked_for(entries, "py-nickel", env)
        assert _locked_for(entries, "common-expression-language", env)
    assert not _locked_for(entries, "py-nickel", environment("3.14", "linux-x86_64"))


def test_uv_is_pinned_to_one_version() -> None:
    (entry,) = pins(REPO_ROOT / "requirements" / "uv.txt")
    req, hashes = entry
    assert req.name == "uv" and len(hashes) >= 10  # one wheel per platform
    assert (REPO_ROOT / "requirements" / "uv.in").read_text().strip() == f"uv{req.specifier}"
