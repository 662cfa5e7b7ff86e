"""Parallel bulk indexing (engine/indexer/parallel.py) writes exactly what the sequential path writes.

Properties:
1. with a forked helper extracting chunks and serializing half of a fresh batch's postings, every
   key and value of the postings, facets, documents, external-id and index-meta tables is
   byte-identical to a run without helper — over a fresh bulk load, then replacements, partial
   updates, deletions, a document changed twice in one batch, nested fields, arrays, facets and
   `_geo` (with thresholds forced low and chunks of 7 documents so every path is exercised);
2. the helper really runs in those batches (at least one fork per bulk load);
3. a helper that fails (raises in the child) makes the parent redo its share: same tables;
4. cancelling a parallel batch (``should_stop`` raising) propagates the error and leaves no
   child process behind;
5. `stable_order` equals numpy's stable argsort, including the fallback for values too wide to pack;
6. parallel mode is off unless enabled (thread mode and in-process engines never fork);
7. bulk extraction (chunks merged at finish) writes the same bytes as applying every document
   one by one through ``on_change`` (the path of partial updates and reindexing) — bitmaps
   included, whose serialization depends on how they were built;
8. the facet indexer finishes while the word indexer's finish helper works: after the fork,
   before the parent takes the helper's postings.
"""
import os
import random
from pathlib import Path

import numpy as np
import pytest

from engine.indexer import parallel
from engine.indexer.apply import IndexWriter
from engine.indexer.words import stable_order
from engine.store.registry import Registry
from engine.settings import apply_patch, validate_settings_patch
from engine.store import Store

SETTINGS = {"filterableAttributes": ["tag", "n", "meta.kind", "_geo"], "sortableAttributes": ["n", "title"],
            "searchableAttributes": ["title", "body", "meta", "tag"]}
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
         "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "42", "3.14",
         "Ærø", "café"]


def _doc(rng: random.Random, i: int) -> dict:
    doc = {"id": i, "title": " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))),
           "body": ". ".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6))) for _ in range(3)),
           "tag": [rng.choice(WORDS).upper() if rng.random() < 0.3 else rng.choice(WORDS)
                   for _ in range(rng.randint(0, 3))],
           "n": rng.choice([rng.randint(0, 5), rng.random(), None, True, "7"]),
           "meta": {"kind": rng.choice(["A", "a", "b", ""]), "deep": [rng.choice(WORDS), {"x": rng.choice(WORDS)}]}}
    if rng.random() < 0.4:
        doc["_geo"] = {"lat": rng.uniform(-80, 80), "lng": rng.uniform(-170, 170)}
    return doc


def _open(path: Path) -> tuple[Store, Registry]:
    store = Store(path)
    registry = Registry(store)
    with store.index_env.begin(write=True) as txn:
        record = registry.create(txn, "i", "id", 0)
        settings = apply_patch(registry.get_meta(txn, record["iid"], "settings"), validate_settings_patch(SETTINGS))
        registry.put_meta(txn, record["iid"], "settings", settings)
    return store, registry


def _batch(store: Store, registry: Registry, apply, should_stop=None) -> None:
    with store.index_env.begin(write=True) as txn:
        writer = IndexWriter(store, txn, registry, registry.get(txn, "i"), should_stop=should_stop)
        apply(writer)
        writer.finish(1)


def _scenario() -> list:
    rng = random.Random(11)
    docs = [_doc(rng, i) for i in range(120)]
    twice = [{**docs[3], "title": "first version"}, {**docs[3], "title": "second version"}]
    replaced = [_doc(rng, i) for i in range(10, 40)]
    partial = [{"id": i, "title": rng.choice(WORDS), "tag": ["new"]} for i in range(30, 55)]
    new = [_doc(rng, i) for i in range(120, 150)]
    # a stored value {a} gaining four consecutive docids: 5 values in 2 runs, where the array and
    # run encodings tie and the bytes depend on how the added bitmap was built
    lone = [{"id": 200 + k, "title": "g", "tag": ["G"] if k == 0 else []} for k in range(10)]
    run = [{"id": 205 + k, "title": "g", "tag": ["G"]} for k in range(4)]
    return [
        lambda w: w.add_documents(docs + twice + lone, "replace", None),
        lambda w: (w.add_documents(run + replaced + new + replaced[:3], "replace", None),
                   w.add_documents(partial, "update", None)),
        lambda w: (w.delete_ids([str(i) for i in range(50, 70)]),
                   w.add_documents([{**d, "n": 99} for d in docs[80:110]] + partial[:5], "update", None)),
        lambda w: w.add_documents([_doc(rng, i) for i in range(60, 65)], "replace", None),
    ]


def _tables(store: Store) -> dict:
    out = {}
    with store.index_env.begin() as txn:
        for name in ("postings", "facets", "documents", "external_ids", "index_meta"):
            out[name] = [(bytes(k), bytes(v)) for k, v in txn.cursor(store.i[name])]
    return out


def _build(path: Path, enabled: bool, monkeypatch) -> dict:
    monkeypatch.setattr(parallel, "_enabled", enabled)
    store, registry = _open(path)
    for step in _scenario():
        _batch(store, registry, step)
    tables = _tables(store)
    store.close() if hasattr(store, "close") else None
    return tables


@pytest.fixture
def low_thresholds(monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_DOCS", 1)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_WORDS", 1)
    monkeypatch.setattr(parallel, "CHUNK_DOCS", 7)
    import engine.indexer.apply as apply_module
    monkeypatch.setattr(apply_module, "CHUNK_DOCS", 7)


def _count_forks(monkeypatch) -> list[int]:
    forks: list[int] = []
    real = parallel.ForkedCall.__init__

    def counting(self, fn):
        real(self, fn)
        forks.append(self.pid)
    monkeypatch.setattr(parallel.ForkedCall, "__init__", counting)
    return forks


def test_parallel_tables_equal_sequential(tmp_path, monkeypatch, low_thresholds):
    """1. and 2."""
    sequential = _build(tmp_path / "seq", False, monkeypatch)
    forks = _count_forks(monkeypatch)
    parallel_tables = _build(tmp_path / "par", True, monkeypatch)
    assert len(forks) >= 5  # extraction in every bulk batch, plus the fresh finish
    for name in sequential:
        assert parallel_tables[name] == sequential[name], name
    assert len(sequential["postings"]) > 500 and len(sequential["facets"]) > 100


def test_failing_helper_falls_back(tmp_path, monkeypatch, low_thresholds):
    """3."""
    sequential = _build(tmp_path / "seq", False, monkeypatch)
    parent = os.getpid()
    from engine.indexer import words
    real_extract, real_pairs = words.WordExtractor.extract, words.FreshPostings.pairs

    def extract(self, *args):
        if os.getpid() != parent:
            raise RuntimeError("helper broke")
        return real_extract(self, *args)

    def pairs(self, added, chosen):
        if os.getpid() != parent:
            os._exit(3)  # dies without an answer
        return real_pairs(self, added, chosen)
    monkeypatch.setattr(words.WordExtractor, "extract", extract)
    monkeypatch.setattr(words.FreshPostings, "pairs", pairs)
    assert _build(tmp_path / "par", True, monkeypatch) == sequential


def _children() -> list[str]:
    pid = os.getpid()
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        found += Path(f"/proc/{pid}/task/{task}/children").read_text().split()
    return found


def test_cancelled_parallel_batch_leaves_no_child(tmp_path, monkeypatch, low_thresholds):
    """4."""
    monkeypatch.setattr(parallel, "_enabled", True)
    store, registry = _open(tmp_path / "db")
    rng = random.Random(3)
    docs = [_doc(rng, i) for i in range(3000)]
    calls = []
    forks = _count_forks(monkeypatch)

    class Cancelled(Exception):
        pass

    def should_stop():
        calls.append(1)
        if len(calls) == 3:
            raise Cancelled()
    before = _children()
    with pytest.raises(Cancelled):
        _batch(store, registry, lambda w: w.add_documents(docs, "replace", None), should_stop)
    assert len(forks) == 1
    assert _children() == before
    with pytest.raises(ChildProcessError):  # killed and reaped: no zombie either
        os.waitpid(forks[0], os.WNOHANG)
    with store.index_env.begin() as txn:  # the write transaction was aborted
        assert registry.get_meta(txn, registry.get(txn, "i")["iid"], "stats")["numberOfDocuments"] == 0


def test_stable_order():
    """5."""
    rng = np.random.default_rng(1)
    for values in (rng.integers(0, 50, 1000), rng.integers(0, 1 << 40, 3000), np.array([5]),
                   np.array([1 << 62, 3, 1 << 62, 0]), np.empty(0, dtype=np.int64)):
        values = values.astype(np.int64)
        assert stable_order(values).tolist() == np.argsort(values, kind="stable").tolist()


def test_parallel_is_opt_in():
    """6."""
    assert parallel.enabled() is False
    bulk = parallel.BulkExtraction([{"id": i} for i in range(10_000)], [])
    assert bulk.parallel is False


def test_bulk_path_equals_one_by_one(tmp_path, monkeypatch, low_thresholds):
    """7."""
    bulk = _build(tmp_path / "bulk", False, monkeypatch)
    real = IndexWriter._store_documents

    def one_by_one(self, *args):
        changes, indexed = real(self, *args)
        return [(docid, old, new, -1) for docid, old, new, _ in changes], indexed
    monkeypatch.setattr(IndexWriter, "_store_documents", one_by_one)
    single = _build(tmp_path / "single", False, monkeypatch)
    for name in bulk:
        assert single[name] == bulk[name], name


def test_facets_finish_while_the_word_helper_works(tmp_path, monkeypatch, low_thresholds):
    """8."""
    from engine.indexer.facets import FacetIndexer
    monkeypatch.setattr(parallel, "_enabled", True)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_DOCS", 10**9)  # extraction in process: one fork, at finish
    log: list[str] = []

    def logged(cls, name: str, entry: str) -> None:
        real = getattr(cls, name)

        def call(self, *args):
            result = real(self, *args)
            log.append(entry)
            return result
        monkeypatch.setattr(cls, name, call)
    logged(parallel.ForkedCall, "__init__", "fork")
    logged(FacetIndexer, "finish", "facets finish")
    logged(parallel.ForkedCall, "result", "helper result")
    store, registry = _open(tmp_path / "db")
    rng = random.Random(5)
    _batch(store, registry, lambda w: w.add_documents([_doc(rng, i) for i in range(60)], "replace", None))
    assert log == ["fork", "facets finish", "helper result"]
