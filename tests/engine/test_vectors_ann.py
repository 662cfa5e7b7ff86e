"""The annoy path of vector search (engine/vectors/ann.py, design.md "Vectors").

Properties:
1. Once a forest is built, unfiltered semantic search takes the ANN path and its top 10 agrees with
   exact numpy search: recall@10 ≥ 0.95 over 40 random queries (random 32-dimension vectors).
2. A filter keeping 1 % of the documents is scored exactly (the small-universe plan): recall 1.0.
3. Results stay current: documents written after the build (new, replaced, deleted) are found,
   re-scored or dropped exactly, without a rebuild.
4. The forest is a cache: a corrupt file falls back to exact search.
5. Below `ANN_MIN_COMPONENTS` no forest is attached: the exact scan is the faster plan there.
6. Forests of deleted indexes are removed by the next build.
"""
import numpy as np
import pytest

from engine.engine import Engine
from engine.search.hybrid import embedder_matrix
from engine.search.context import SearchContext
from engine.vectors import ann
from support import index_documents

N, DIMS = 6000, 32


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    # this corpus is small enough for the exact scan to win: force the annoy path to measure it
    saved, ann.ANN_MIN_COMPONENTS = ann.ANN_MIN_COMPONENTS, 0
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((N, DIMS)).astype(np.float32)
    engine = Engine(tmp_path_factory.mktemp("ann") / "db", worker="thread")
    docs = [{"id": i, "bucket": i % 100, "_vectors": {"manual": vectors[i].tolist()}} for i in range(N)]
    index_documents(engine, "random", docs, {"embedders": {"manual": {"source": "userProvided", "dimensions": DIMS}},
                                             "filterableAttributes": ["bucket"]})
    ann.build_all(engine.store, engine.registry)
    yield engine, vectors, rng.standard_normal((40, DIMS)).astype(np.float32)
    engine.close()
    ann.ANN_MIN_COMPONENTS = saved


def top10(engine, q, **params):
    hits = engine.index("random").search(vector=q.tolist(), hybrid={"embedder": "manual", "semanticRatio": 1.0},
                                         limit=10, **params)["hits"]
    return [h["id"] for h in hits]


def exact_top10(vectors, q, keep=None):
    cos = vectors @ q / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(q))
    order = [i for i in np.argsort(-cos, kind="stable") if keep is None or keep(i)]
    return order[:10]


def matrix_of(engine):
    with engine.store.index_env.begin() as txn:
        ctx = SearchContext(engine.store, txn, engine.registry, engine.registry.require(txn, "random"))
        return embedder_matrix(ctx, "manual", ctx.settings["embedders"]["manual"])


# 1 -------------------------------------------------------------------------------------------------

def test_ann_recall_unfiltered(corpus):
    engine, vectors, queries = corpus
    matrix = matrix_of(engine)
    assert matrix.ann is not None and matrix.ann.matched == 1.0  # the ANN plan is the one measured
    recall = np.mean([len(set(top10(engine, q)) & set(exact_top10(vectors, q))) / 10 for q in queries])
    assert recall >= 0.95


# 2 -------------------------------------------------------------------------------------------------

def test_one_percent_filter_is_exact(corpus):
    engine, vectors, queries = corpus
    for q in queries[:10]:
        assert top10(engine, q, filter="bucket = 42") == exact_top10(vectors, q, keep=lambda i: i % 100 == 42)


# 3 -------------------------------------------------------------------------------------------------

def test_writes_after_the_build_are_current(corpus):
    engine, vectors, queries = corpus
    q = queries[0]
    nearest = exact_top10(vectors, q)[0]
    task = engine.wait_for_task(engine.add_documents("random", [
        {"id": N, "bucket": 0, "_vectors": {"manual": (q * 3).tolist()}},                    # new: the best
        {"id": int(nearest), "bucket": 0, "_vectors": {"manual": (-q).tolist()}},            # replaced: the worst
    ], primary_key="id")["uid"])
    assert task["status"] == "succeeded"
    matrix = matrix_of(engine)
    assert matrix.ann is not None and len(matrix.ann.fresh_rows) == 2
    got = top10(engine, q)
    assert got[0] == N and int(nearest) not in got
    engine.wait_for_task(engine.delete_documents("random", [str(N)])["uid"])
    assert N not in top10(engine, q)


# 4 -------------------------------------------------------------------------------------------------

def test_corrupt_forest_falls_back_to_exact(tmp_path):
    engine = Engine(tmp_path / "db", worker="none")
    try:
        folder = tmp_path / "db" / "vectors"
        folder.mkdir()
        (folder / f"0-{b'manual'.hex()}-0.ann").write_bytes(b"not a forest")

        class Matrix:
            quantized, rows, dimensions, ann = False, np.zeros((ann.MIN_ROWS, 4), np.float32), 4, "old"
        matrix = Matrix()
        saved, ann.ANN_MIN_COMPONENTS = ann.ANN_MIN_COMPONENTS, 0
        try:
            ann.attach_ann(engine.store, 0, "manual", matrix)
        finally:
            ann.ANN_MIN_COMPONENTS = saved
        assert matrix.ann is None
    finally:
        engine.close()


# 5 -------------------------------------------------------------------------------------------------

def test_small_matrices_stay_exact(tmp_path):
    class Matrix:
        quantized, rows, dimensions, ann = False, np.zeros((ann.MIN_ROWS, 4), np.float32), 4, "old"
    engine = Engine(tmp_path / "db", worker="none")
    saved, ann.ANN_MIN_COMPONENTS = ann.ANN_MIN_COMPONENTS, 64_000_000  # the default
    try:
        matrix = Matrix()
        ann.attach_ann(engine.store, 0, "manual", matrix)
        assert matrix.ann == "old" and not ann.ann_worthwhile(matrix.rows.size)
    finally:
        ann.ANN_MIN_COMPONENTS = saved
        engine.close()


# 6 -------------------------------------------------------------------------------------------------

def test_orphan_forests_removed(tmp_path):
    engine = Engine(tmp_path / "db", worker="none")
    try:
        folder = tmp_path / "db" / "vectors"
        folder.mkdir()
        orphan = folder / f"7-{b'gone'.hex()}-0.ann"
        orphan.write_bytes(b"x")
        orphan.with_suffix(".npz").write_bytes(b"x")
        ann.build_all(engine.store, engine.registry)
        assert not orphan.exists() and not orphan.with_suffix(".npz").exists()
    finally:
        engine.close()
