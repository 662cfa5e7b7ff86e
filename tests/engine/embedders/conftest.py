"""Fixtures of the embedder tests: the scripted loopback server (``tests/embedding_server.py``)."""
from __future__ import annotations

import pytest

from embedding_server import EmbeddingServer, allow_loopback, vec  # noqa: F401  (vec re-exported for the tests)
from engine.embedders import RetryPolicy


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch):
    allow_loopback(monkeypatch)


@pytest.fixture
def server():
    s = EmbeddingServer()
    yield s
    s.close()


# Retries without sleeping: tests count attempts, never time them.
FAST = RetryPolicy(retries=3, delay_scale=0.0, timeout=5.0)


@pytest.fixture
def fast():
    return FAST
