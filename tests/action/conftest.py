from __future__ import annotations

from helpers.github_server import github  # noqa: F401  (the fixture)
