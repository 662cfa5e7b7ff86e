"""Indexers are registered and finish themselves (engine/indexer/apply.py, engine/indexer/base.py).

Properties:
1. an indexer added to `INDEXERS` is built from the writer's context, hears every change in
   order (additions, replacements, partial updates, deletions) and finishes once per batch, while
   the other indexers' tables stay byte-identical to a run without it;
2. its declared tables are emptied before a rebuild and on clear;
3. a completion returned by `finish` runs after every indexer's finish, then is closed;
4. when an indexer's finish fails, pending completions are closed without running and the
   error propagates.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from engine.indexer import apply
from engine.indexer.base import IndexContext
from engine.store.registry import Registry
from engine.store import Store
from engine.store.codecs import u32

DOCS = [{"id": i, "title": f"word{i % 3} common", "tag": ["a", "b"][i % 2]} for i in range(12)]


def _open(path: Path) -> tuple[Store, Registry, int]:
    store = Store(path)
    registry = Registry(store)
    with store.index_env.begin(write=True) as txn:
        record = registry.create(txn, "i", "id", 0)
    return store, registry, record["iid"]


def _batch(store: Store, registry: Registry, apply_fn) -> None:
    with store.index_env.begin(write=True) as txn:
        writer = apply.IndexWriter(store, txn, registry, registry.get(txn, "i"))
        apply_fn(writer)
        writer.finish(1)


def _scenario() -> list:
    return [
        lambda w: w.add_documents(DOCS, "replace", None),
        lambda w: (w.add_documents([{"id": 3, "title": "changed"}], "replace", None),
                   w.add_documents([{"id": 4, "tag": "c"}], "update", None),
                   w.delete_ids(["5"])),
    ]


def _tables(store: Store) -> dict[str, list[tuple[bytes, bytes]]]:
    with store.index_env.begin() as txn:
        return {name: [(bytes(k), bytes(v)) for k, v in txn.cursor(store.i[name])]
                for name in ("postings", "facets", "documents", "index_meta")}


class Recording:
    """A registered indexer that writes one vectors entry per live document it heard of."""

    tables = ("vectors",)
    events: ClassVar[list[tuple[Any, ...]]] = []  # replaced per test

    def __init__(self, context: IndexContext):
        self.context = context
        self.live: dict[int, Any] = {}

    @classmethod
    def from_context(cls, context: IndexContext) -> Recording:
        cls.events.append(("built", context.iid, context.fresh))
        return cls(context)

    def on_change(self, docid: int, old: Any, new: Any) -> None:
        self.events.append(("change", docid, old and old.get("title"), new and new.get("title")))
        self.live[docid] = new

    def finish(self) -> None:
        self.events.append(("finish",))
        db = self.context.store.i["vectors"]
        for docid, new in self.live.items():
            key = u32(self.context.iid) + u32(docid)
            if new is None:
                self.context.txn.delete(key, db=db)
            else:
                self.context.txn.put(key, b"v", db=db)


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    monkeypatch.setattr(Recording, "events", [])
    monkeypatch.setattr(apply, "INDEXERS", (*apply.INDEXERS, Recording))
    return Recording.events


def _vectors(store: Store) -> list[bytes]:
    with store.index_env.begin() as txn:
        return [bytes(k) for k, _ in txn.cursor(store.i["vectors"])]


def test_a_registered_indexer_hears_every_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """1."""
    store, registry, _ = _open(tmp_path / "plain")
    for step in _scenario():
        _batch(store, registry, step)
    without = _tables(store)

    events = []
    monkeypatch.setattr(Recording, "events", events)
    monkeypatch.setattr(apply, "INDEXERS", (*apply.INDEXERS, Recording))
    store, registry, iid = _open(tmp_path / "recorded")
    for step in _scenario():
        _batch(store, registry, step)
    assert _tables(store) == without
    assert events[0] == ("built", iid, True)
    assert [e[1] for e in events[1:13]] == list(range(12))
    assert events[13:] == [
        ("finish",), ("built", iid, False),
        ("change", 3, "word0 common", "changed"),
        ("change", 4, "word1 common", "word1 common"), ("change", 5, "word2 common", None), ("finish",),
    ]
    assert len(_vectors(store)) == 11


def test_registered_tables_are_emptied_on_rebuild_and_clear(tmp_path: Path, recording: list) -> None:
    """2."""
    store, registry, iid = _open(tmp_path / "db")
    _batch(store, registry, _scenario()[0])
    with store.index_env.begin(write=True) as txn:  # an entry no document stands for any more
        txn.put(u32(iid) + u32(99), b"stale", db=store.i["vectors"])
    _batch(store, registry, lambda w: w.reindex())
    assert _vectors(store) == [u32(iid) + u32(docid) for docid in range(12)]
    _batch(store, registry, lambda w: w.clear())
    assert _vectors(store) == []


class _Step:
    def __init__(self, log: list[str], name: str, fail: bool = False):
        self.log, self.name, self.fail = log, name, fail

    def __call__(self) -> None:
        self.log.append(f"{self.name} completes")

    def close(self) -> None:
        self.log.append(f"{self.name} closes")

    def on_change(self, docid: int, old: Any, new: Any) -> None:
        pass

    def finish(self) -> _Step | None:
        self.log.append(f"{self.name} finishes")
        if self.fail:
            raise RuntimeError("finish failed")
        return self if self.name.startswith("helped") else None


def _finish_with(tmp_path: Path, indexers: list[_Step]) -> None:
    store, registry, _ = _open(tmp_path / "db")
    with store.index_env.begin(write=True) as txn:
        writer = apply.IndexWriter(store, txn, registry, registry.get(txn, "i"), indexers=indexers)
        writer.finish(1)


def test_completions_run_after_every_finish(tmp_path: Path) -> None:
    """3."""
    log: list[str] = []
    _finish_with(tmp_path, [_Step(log, "helped 1"), _Step(log, "plain"), _Step(log, "helped 2")])
    assert log == ["helped 1 finishes", "plain finishes", "helped 2 finishes", "helped 1 completes",
                   "helped 2 completes", "helped 1 closes", "helped 2 closes"]


def test_a_failing_finish_closes_pending_completions(tmp_path: Path) -> None:
    """4."""
    log: list[str] = []
    with pytest.raises(RuntimeError, match="finish failed"):
        _finish_with(tmp_path, [_Step(log, "helped"), _Step(log, "plain", fail=True)])
    assert log == ["helped finishes", "plain finishes", "helped closes"]
