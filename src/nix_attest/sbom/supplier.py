"""Who made the SBOM and who supplies each component, from data that exists (never invented).

* The SBOM's author: ``--author "Name <email-or-url>"``; on GitHub by default the repository owner
  (``GITHUB_REPOSITORY``) with its URL.
* A component's supplier is whoever supplies its package *definition*: Nix builds what a Nix
  expression defines, and the expression comes from a flake (the repository's own, or an input such as
  nixpkgs). The root, and every package of a flake without inputs (pure evaluation can read nothing
  else), come from the installable's flake: its owner (the repository owner for a local checkout, else
  the owner in the locked URL). Other packages are attributed through ``meta.position`` (where the
  package is defined) to the flake input whose source contains that file. The package's
  ``meta.maintainers`` are the supplier's contacts. Nothing known: no supplier (SPDX ``NOASSERTION``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import UsageError
from ..nix.flake import FlakeInfo, LockedRef
from ..nix.meta import Maintainer
from ..untrusted import email
from .model import Party

_AUTHOR = re.compile(r"^\s*(?P<name>[^<>]*?)\s*(?:<(?P<contact>[^<>]+)>)?\s*$")
_MAX_AUTHOR = 300


def parse_author(text: str) -> Party:
    """``"ACME Corp <sbom@acme.example>"``, ``"ACME <https://acme.example>"`` or ``"ACME"``."""
    m = _AUTHOR.match(text) if len(text) <= _MAX_AUTHOR and text.isprintable() else None
    if not m or not (m.group("name") or m.group("contact")):
        raise UsageError(f"--author must look like 'Name <email or https URL>', got {text[:80]!r}")
    name = m.group("name") or None
    contact = (m.group("contact") or "").strip()
    if not contact:
        return Party(name=name)
    if contact.startswith(("https://", "http://")):
        return Party(name=name, url=contact)
    if email(contact):
        return Party(name=name, email=contact)
    raise UsageError(f"--author contact must be an e-mail address or an http(s) URL, got {contact[:80]!r}")


def github_owner(env: Mapping[str, str]) -> tuple[Party, Party] | None:
    """On GitHub Actions: (the repository owner with its URL, the owner as supplier of the
    repository's packages with the repository's URL); None elsewhere."""
    repository = env.get("GITHUB_REPOSITORY") or ""
    owner, _, repo = repository.partition("/")
    if not owner or not repo:
        return None
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    return Party(name=owner, url=f"{server}/{owner}"), Party(name=owner, url=f"{server}/{owner}/{repo}")


def default_author(env: Mapping[str, str], given: Party | None = None) -> Party | None:
    if given is not None:
        return given
    found = github_owner(env)
    return found[0] if found else None


def locked_supplier(ref: LockedRef | None) -> Party | None:
    """The owner of a remote flake (``github:NixOS/nixpkgs`` -> NixOS, its repository URL)."""
    if ref is None or ref.local:
        return None
    url = ref.web_url()
    if ref.owner or url:
        return Party(name=ref.owner, url=url)
    return None


def contacts(maintainers: Sequence[Maintainer]) -> tuple[Party, ...]:
    """The maintainers as contacts (name, else GitHub handle; e-mail)."""
    out: dict[Party, None] = {}
    for m in maintainers:
        if m.name or m.github or m.email:
            out.setdefault(Party(name=m.name or m.github, email=m.email), None)
    return tuple(out)


@dataclass(frozen=True)
class Origins:
    """Where package definitions come from: the installable's flake (its owner) and the store paths of
    its sources and inputs (who supplies what is defined in them)."""

    own: Party | None = None
    everything_own: bool = False
    sources: tuple[tuple[str, Party | None], ...] = ()  # (store path + "/", supplier), longest first

    def supplier(
        self, position: str | None, maintainers: Sequence[Maintainer] = (), *, root: bool = False
    ) -> Party | None:
        base: Party | None = None
        if root or self.everything_own:
            base = self.own
        elif position:
            for prefix, party in self.sources:
                if position.startswith(prefix):
                    base = party
                    break
        people = contacts(maintainers) if maintainers else ()
        if base is None:
            return Party(contacts=people) if people else None
        return Party(name=base.name, url=base.url, email=base.email, contacts=people) if people else base


def origins(
    *,
    flake: FlakeInfo | None,
    kind: str,
    owner: Party | None,
    source_paths: Mapping[tuple[str, ...], str] | None = None,
) -> Origins:
    """``owner``: the repository owner (on GitHub) or the SBOM author; ``source_paths``: the store path
    of the flake (``()``) and of each input (``nix flake archive --dry-run``), when it has inputs."""
    if kind == "file":
        return Origins(own=owner)  # the user's own Nix file: the root is theirs, the rest unknown
    if flake is None:
        return Origins()  # a store path or .drv: nothing says who defined it
    own = owner if flake.local else locked_supplier(flake.locked)
    if not flake.lock_tree:
        return Origins(own=own, everything_own=True)
    by_input = dict(flake.lock_tree)
    sources: list[tuple[str, Party | None]] = []
    for input_path, store_path in (source_paths or {}).items():
        party = own if input_path == () else locked_supplier(by_input.get(input_path))
        sources.append((store_path.rstrip("/") + "/", party))
    if flake.path and not any(p == flake.path.rstrip("/") + "/" for p, _ in sources):
        sources.append((flake.path.rstrip("/") + "/", own))
    sources.sort(key=lambda s: (-len(s[0]), s[0]))
    return Origins(own=own, sources=tuple(sources))
