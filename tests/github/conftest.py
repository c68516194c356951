from __future__ import annotations

import pytest
from helpers.github_server import github  # noqa: F401  (the fixture)


@pytest.fixture
def sleeps() -> list[float]:
    return []
