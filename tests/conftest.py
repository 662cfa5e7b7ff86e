"""Shared fixtures: temporary engines, in-process apps, and real `loupe` processes."""
from __future__ import annotations

import pytest

from support import MASTER_KEY, LoupeProcess  # noqa: F401  (re-exported for tests)

# the upstream ports' `engine` and `meili` fixtures (a test module's own `engine` takes precedence)
pytest_plugins = ["upstream_harness"]


@pytest.fixture(scope="session")
def loupe_server(tmp_path_factory):
    server = LoupeProcess(tmp_path_factory.mktemp("loupe") / "data.ms").start()
    yield server
    server.stop()


@pytest.fixture
def client(loupe_server):
    """The official client on the shared server, with finished tasks and indexes cleaned up."""
    c = loupe_server.client()
    yield c
    for index in c.get_indexes({"limit": 1000})["results"]:
        c.wait_for_task(c.delete_index(index.uid).task_uid)


@pytest.fixture
def fresh_server(tmp_path):
    servers = []

    def start(**kwargs) -> LoupeProcess:
        server = LoupeProcess(tmp_path / "data.ms", **kwargs).start()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()
