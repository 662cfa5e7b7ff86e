"""Searches of one index version share term derivations and the rules' per-term arrays.

Properties proven here:
1. A search-as-you-type sequence answered with the shared cache gives, keystroke by keystroke, the
   same hits, order, scores and score details as the same searches with the cache emptied first
   (on the shipped 2,000-document Debian sample, with and without attributesToSearchOn).
2. The same word at two query positions does not share position costs: `qt qt` ranks as it does
   with an empty cache.
3. The cache is bounded: past its entry count or its byte budget it starts over.
4. A new index version (a document added) starts from an empty cache, so new words are found.
5. Decoded postings shared by the searches of a version are never modified by a search: a mix of
   keystrokes, filters, sorts, distinct, phrases, negative words and matching strategies answers
   the same with every search reading the shared postings as with each search starting empty.
"""
from pathlib import Path

import numpy as np
import orjson
import pytest

from engine.engine import Engine
from engine.search.context import index_cache
from engine.search.terms import DerivationCache
from engine.settings import task_details, validate_settings_patch

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "debian-packages-2k.ndjson"
TYPED = ["python3 requests", "libgtk theme", "qt qt", "fonts dejavu", "sequence alignment", "pyhton"]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("cache") / "db")
    patch = validate_settings_patch({"searchableAttributes": ["name", "summary", "description"],
                                     "filterableAttributes": ["section", "priority"],
                                     "sortableAttributes": ["installed_size"]})
    assert engine.wait_for_task(engine.update_settings("p", patch, task_details(patch))["uid"])["status"] == "succeeded"
    docs = [orjson.loads(line) for line in SAMPLE.read_bytes().splitlines()]
    assert engine.wait_for_task(engine.add_documents("p", docs, primary_key="id")["uid"], timeout=120)["status"] == "succeeded"
    yield engine
    engine.close()


def _cache(engine):
    with engine.store.index_env.begin() as txn:
        record = engine.registry.require(txn, "p")
        return index_cache(engine.store, txn, engine.registry, record["iid"])


def _keystrokes():
    for text in TYPED:
        for end in range(1, len(text) + 1):
            yield text[:end]


def _answer(engine, q, **params):
    result = engine.index("p").search(q, limit=20, showRankingScoreDetails=True, showRankingScore=True, **params)
    return [(h["id"], h["_rankingScore"], h["_rankingScoreDetails"]) for h in result["hits"]], result["estimatedTotalHits"]


@pytest.mark.parametrize("params", [{}, {"attributesToSearchOn": ["summary"]}])
def test_cached_answers_equal_uncached(index, params):
    cache = _cache(index)
    cached = [_answer(index, q, **params) for q in _keystrokes()]
    uncached = []
    for q in _keystrokes():
        cache.derivations = DerivationCache()
        cache.postings.clear()
        uncached.append(_answer(index, q, **params))
    assert cached == uncached
    assert sum(1 for hits, _total in cached if hits) > 50  # the sequence does find documents


MIXED = [{}, {"filter": "section = libs"}, {"sort": ["installed_size:asc"]}, {"distinct": "section"},
         {"matchingStrategy": "all"}, {"filter": "NOT priority = optional", "sort": ["installed_size:desc"]}]
MIXED_QUERIES = ["python3 requests", "pyth", "lib", '"python3 requests"', "python -requests", "fonts -dejavu", ""]


def test_shared_postings_are_never_modified(index):
    cache = _cache(index)
    cases = [(q, p) for q in MIXED_QUERIES for p in MIXED] + [(q, {}) for q in _keystrokes()]
    shared = [_answer(index, q, **p) for q, p in cases]
    alone = []
    for q, p in cases:
        cache.derivations = DerivationCache()
        cache.postings.clear()
        alone.append(_answer(index, q, **p))
    assert shared == alone
    assert len(cache.postings) > 0  # the searches did share decoded postings
    assert sum(1 for hits, _total in shared if hits) > 60


def test_repeated_word_positions_are_not_shared(index):
    _cache(index).derivations = DerivationCache()
    first = _answer(index, "qt")
    again = _answer(index, "qt qt")
    _cache(index).derivations = DerivationCache()
    assert _answer(index, "qt qt") == again
    assert _answer(index, "qt") == first


def test_cache_is_bounded():
    cache = DerivationCache(capacity=2, max_bytes=100)
    cache.put(("a",), "A")
    cache.put(("b",), "B")
    assert cache.get(("a",)) == "A"
    cache.put(("c",), "C")  # third entry: starts over
    assert cache.get(("a",)) is None and cache.get(("c",)) == "C"
    cache.charge(np.zeros(101, dtype=np.uint8).nbytes)
    assert cache.get(("c",)) is None


def test_new_version_new_cache(index):
    assert index.index("p").search("zyxwordonlyhere", limit=5)["hits"] == []
    task = index.add_documents("p", [{"id": "new-doc", "name": "zyxwordonlyhere"}], primary_key="id")
    assert index.wait_for_task(task["uid"])["status"] == "succeeded"
    assert [h["id"] for h in index.index("p").search("zyxwordonlyhere", limit=5)["hits"]] == ["new-doc"]
    assert [h["id"] for h in index.index("p").search("zyxwordonlyhe", limit=5)["hits"]] == ["new-doc"]


def test_searches_leave_no_garbage_cycles(index):
    """5. A search frees its read transaction by reference counting alone: with the garbage
    collector off, more searches than LMDB has reader slots (512) still run, and leave no cycle."""
    import gc
    gc.collect()
    gc.disable()
    try:
        for n in range(600):
            index.index("p").search(["python", "libgtk theme", "qt qt"][n % 3], limit=5)
        assert gc.collect() == 0
    finally:
        gc.enable()
