"""pytest fixtures for the emulator, shipped with the toolkit (entry point `pytest11`).

    def test_paging(mock_server):                      # a fresh emulator per test, default options
        url = mock_server.url

    @pytest.mark.mock_server(scenario="NAME:step=0.05", faults="throttle:every=3", seed=7)
    def test_waiter(mock_server): ...                  # options of the Emulator, per test

    def test_two(mock_server_factory):                 # several, each with its own options
        a = mock_server_factory(seed=1)
        b = mock_server_factory(faults="drop:every=2")

Every emulator a fixture starts is stopped when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

MARKER = "mock_server"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(**options): options of the mock_server fixture's Emulator "
        "(scenario, faults, seed, data, keys, spec)")


@pytest.fixture
def mock_server_factory() -> Iterator[Callable[..., Any]]:
    """Start emulators with any Emulator options; all are stopped at the end of the test."""
    from .server import Emulator

    started: list[Emulator] = []

    def start(**options: Any) -> Emulator:
        server = Emulator(**options).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def mock_server(request: pytest.FixtureRequest, mock_server_factory: Callable[..., Any]) -> Any:
    """A running emulator (generator.emulator.Emulator); options from @pytest.mark.mock_server(...)."""
    marker = request.node.get_closest_marker(MARKER)
    options = dict(marker.kwargs) if marker is not None else {}
    return mock_server_factory(**options)
