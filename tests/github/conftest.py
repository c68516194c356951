from __future__ import annotations

from collections.abc import Iterator

import pytest
from github_fake_server import Server


@pytest.fixture
def github() -> Iterator[Server]:
    server = Server().start()
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> list[float]:
    return []
