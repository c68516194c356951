"""The NVD source: CPE matching against the compact local index (see ``vuln.index``, ``vuln.nvdmatch``)."""

from __future__ import annotations

from collections.abc import Sequence

from ..index import NvdIndex
from ..model import Finding, Target
from ..nvdmatch import NvdMatcher, environment


class NvdSource:
    name = "nvd"
    notes: tuple[str, ...] = ()

    def __init__(self, index: NvdIndex, system: str | None) -> None:
        self.index = index
        self.system = system

    def findings(self, targets: Sequence[Target]) -> list[Finding]:
        matcher = NvdMatcher(self.index, environment(self.system, targets))
        return matcher.match_all(targets)

    def describe(self) -> str:
        built = self.index.header.get("built")
        return f"NVD ({len(self.index)} CVEs" + (f", index built {built})" if built else ")")
