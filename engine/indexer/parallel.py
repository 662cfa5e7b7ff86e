"""Bulk extraction of what a batch indexes, on both cores when the process allows it.

What a document indexes is a pure function of (document, settings), so a big batch is cut into
chunks of `CHUNK_DOCS` documents and each chunk becomes one compact chunk per bulk indexer's
`Extractor` (a `WordChunk`, a `FacetChunk`).
In the worker process (`enable()` is called there, Linux only) a batch of at least
`PARALLEL_MIN_DOCS` documents forks one helper: it inherits the documents by copy-on-write and
takes chunks from a shared counter while the parent stores the documents in LMDB, then takes
chunks too; the helper sends its chunks back pickled through a pipe.  Only the parent touches
LMDB; the helper leaves with ``os._exit``.

    >>> bulk = BulkExtraction(docs, [word_extractor, facet_extractor])    # doctest: +SKIP
    >>> bulk.start()              # forks when enabled and the batch is big
    >>> ...                       # parent: store documents
    >>> chunks = bulk.result(should_stop)   # [(WordChunk, FacetChunk)] in document order
    >>> bulk.close()              # always: reaps (or kills) the helper

`ForkedCall(fn)` runs any pure function in a helper the same way (used by `WordIndexer.finish`).
Either way the tables are byte-identical to a sequential run: the same chunks, applied in order.
"""
from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import select
import signal
import struct
from typing import Any, Callable, Iterator, Sequence

from .base import Extractor

PARALLEL_MIN_DOCS = 4000  # below this a fork costs more than it saves
PARALLEL_MIN_WORDS = 20000  # distinct words of a fresh batch worth a helper at finish
HELPER_SHARE = 0.6          # of a fresh batch's postings: the parent also finishes the others, merges
CHUNK_DOCS = 1024         # documents per extracted chunk (and per cancellation check)
_POLL_SECONDS = 0.05

_enabled = False


def enable(on: bool = True) -> None:
    """Allow helper processes in this process (the worker process calls this; never thread mode)."""
    global _enabled
    _enabled = on and "fork" in multiprocessing.get_all_start_methods()


def enabled() -> bool:
    return _enabled


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection during a bulk phase of the worker process.

    A big batch allocates millions of objects (documents, tokens, keys); each full collection
    then walks the whole heap for nothing, and in a forked helper it would also copy every page
    it touches.  Only in parallel mode (the worker process): thread mode leaves gc alone.
    """
    if not _enabled or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class HelperFailed(RuntimeError):
    """The helper process died or raised: the caller redoes its share in process."""


class ForkedCall:
    """``fn()`` computed in a forked child; `result` waits for it, `close` reaps it (kills if needed)."""

    def __init__(self, fn: Callable[[], Any]):
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # child: compute, send, leave without running any parent cleanup
            code = 0
            try:
                from ..tasks.supervisor import die_with_parent
                die_with_parent(parent)  # a killed worker leaves no helper computing for nobody
                gc.disable()  # a collection would touch every inherited object: copy-on-write of the heap
                os.close(read_fd)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                try:
                    payload = pickle.dumps((True, fn()), protocol=5)
                except BaseException as exc:  # noqa: BLE001 - reported to the parent
                    payload = pickle.dumps((False, repr(exc)))
                    code = 1
                with os.fdopen(write_fd, "wb") as out:
                    out.write(struct.pack(">Q", len(payload)))
                    out.write(payload)
            except BaseException:  # noqa: BLE001
                code = 2
            finally:
                os._exit(code)
        os.close(write_fd)
        self.pid: int | None = pid
        self._fd: int | None = read_fd

    def result(self, should_stop: Callable[[], None] = lambda: None) -> Any:
        """The child's return value; ``should_stop`` is called while waiting (it may raise)."""
        assert self._fd is not None
        header = self._read(8, should_stop)
        payload = self._read(struct.unpack(">Q", header)[0], should_stop)
        ok, value = pickle.loads(payload)
        if not ok:
            raise HelperFailed(value)
        return value

    def _read(self, size: int, should_stop: Callable[[], None]) -> bytes:
        parts: list[bytes] = []
        missing = size
        while missing:
            ready, _, _ = select.select([self._fd], [], [], _POLL_SECONDS)
            if not ready:
                should_stop()
                continue
            part = os.read(self._fd, min(missing, 1 << 24))
            if not part:
                raise HelperFailed("helper process exited without an answer")
            parts.append(part)
            missing -= len(part)
        return b"".join(parts)

    def close(self) -> None:
        """Reap the child: killed if still running (cancellation, parent error).  Idempotent."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self.pid is not None:
            try:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done == 0:
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = None


Chunk = tuple[Any, ...]  # one part per extractor, in their order


class BulkExtraction:
    """What a whole batch indexes, chunk by chunk, shared with a helper when enabled."""

    def __init__(self, documents: list[dict[str, Any]], extractors: Sequence[Extractor],
                 parallel: bool | None = None):
        self.documents, self.extractors = documents, extractors
        self.count = (len(documents) + CHUNK_DOCS - 1) // CHUNK_DOCS
        if parallel is None:
            parallel = _enabled and len(documents) >= PARALLEL_MIN_DOCS
        self.parallel = parallel and self.count > 1
        self._helper: ForkedCall | None = None
        self._next: Any = None
        self._lock: Any = None

    def _extract(self, index: int) -> Chunk:
        lo, hi = index * CHUNK_DOCS, min(len(self.documents), (index + 1) * CHUNK_DOCS)
        return tuple(extractor.extract(self.documents, lo, hi) for extractor in self.extractors)

    def _take(self) -> int | None:
        """The next chunk nobody has taken yet (shared with the helper)."""
        if self._next is None:
            return None
        with self._lock:
            index = self._next.value
            if index >= self.count:
                return None
            self._next.value = index + 1
            return index

    def _helper_work(self) -> dict[int, Chunk]:
        done: dict[int, Chunk] = {}
        while (index := self._take()) is not None:
            done[index] = self._extract(index)
        return done

    def start(self) -> None:
        if not self.parallel:
            return
        ctx = multiprocessing.get_context("fork")
        self._next, self._lock = ctx.RawValue("q", 0), ctx.Lock()
        self._helper = ForkedCall(self._helper_work)

    def result(self, should_stop: Callable[[], None] = lambda: None) -> list[Chunk]:
        done: dict[int, Chunk] = {}
        if self._helper is not None:
            while (index := self._take()) is not None:
                should_stop()
                done[index] = self._extract(index)
            try:
                done.update(self._helper.result(should_stop))
            except HelperFailed:
                pass  # whatever the helper took is redone below
            self.close()
        for index in range(self.count):
            if index not in done:
                should_stop()
                done[index] = self._extract(index)
        return [done[index] for index in range(self.count)]

    def close(self) -> None:
        if self._helper is not None:
            self._helper.close()
            self._helper = None
