"""Counting the requests a batch sends to remote embedders (`stats.embedderRequests`, tasks.md §6).

Upstream counts every attempt of a remote embedder while it indexes (milli ``rest.rs``: one
``total`` per HTTP attempt, retries included; one ``failed`` and the error's text as ``lastError``
per failed attempt) and shows the counts in the batch's stats when anything was sent. The test
embedding that infers dimensions and the embedding of search queries are not counted.

The task worker installs a :class:`EmbedderRequests` with :func:`counting` around a batch; the
rest client reads it in the calling thread (its parallel requests get it handed over), so nothing
is threaded through the embedders' signatures.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


class EmbedderRequests:
    """Requests sent, failed attempts and the last failure's text, safe across request threads."""

    def __init__(self) -> None:
        self.total = 0
        self.failed = 0
        self.last_error: str | None = None
        self.on_failure: Callable[[], None] | None = None  # told after each failed attempt
        self._lock = threading.Lock()

    def sent(self) -> None:
        with self._lock:
            self.total += 1

    def failure(self, message: str) -> None:
        with self._lock:
            self.failed += 1
            self.last_error = message
        hook = self.on_failure
        if hook is not None:
            hook()

    def view(self) -> dict[str, Any] | None:
        """``{"total", "failed", "lastError"?}``, or None when no request was sent (then absent)."""
        if not self.total:
            return None
        out: dict[str, Any] = {"total": self.total, "failed": self.failed}
        if self.last_error is not None:
            out["lastError"] = self.last_error
        return out


CURRENT: ContextVar[EmbedderRequests | None] = ContextVar("embedder_requests", default=None)

#: Where the indexer reports how far embedding went, ``(embedded, to embed)`` after each call of an
#: embedder; the task worker installs one that shows it in the running batch's progress.
PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar("embedding_progress", default=None)


def report_progress(finished: int, total: int) -> None:
    hook = PROGRESS.get()
    if hook is not None:
        hook(finished, total)


@contextmanager
def counting(requests: EmbedderRequests) -> Iterator[EmbedderRequests]:
    """Count the remote embedders' requests made by this thread (and its request pool) inside."""
    token = CURRENT.set(requests)
    try:
        yield requests
    finally:
        CURRENT.reset(token)
