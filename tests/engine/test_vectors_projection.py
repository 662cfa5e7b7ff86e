"""The projected plan of vector search (engine/vectors/projection.py): a first pass over principal
components chooses candidates, which are then scored exactly.

Properties:
1. On embeddings with structure (a few latent directions plus noise, as real embeddings have), the
   top 10 agrees with the exact scan: recall@10 ≥ 0.95 over 40 queries, unfiltered and with a filter
   keeping 60 % of the documents; every score shown is the exact one of hybrid.md §8.12.
2. A zero vector (exact distance 0: the nearest of all) is always a candidate.
3. Paging past the candidates still returns every document of the universe exactly once.
4. Small matrices and binary-quantized ones get no projection: the exact scan is the plan there.
"""
import numpy as np
import pytest

from engine.engine import Engine
from engine.search.context import SearchContext
from engine.search.hybrid import embedder_matrix
from engine.vectors import projection
from engine.vectors.similarity import similarities
from support import index_documents

N, DIMS, LATENT = 4000, 64, 6
SEMANTIC = {"embedder": "manual", "semanticRatio": 1.0}


def structured(rng, count):
    mix = np.random.default_rng(99).standard_normal((LATENT, DIMS))
    return (rng.standard_normal((count, LATENT)) @ mix + 0.3 * rng.standard_normal((count, DIMS))).astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    saved, projection.PROJECT_MIN_COMPONENTS = projection.PROJECT_MIN_COMPONENTS, 0
    rng = np.random.default_rng(5)
    vectors = structured(rng, N)
    engine = Engine(tmp_path_factory.mktemp("projection") / "db", worker="thread")
    docs = [{"id": i, "bucket": i % 100, "_vectors": {"manual": vectors[i].tolist()}} for i in range(N)]
    docs.append({"id": N, "bucket": 0, "_vectors": {"manual": [0.0] * DIMS}})
    index_documents(engine, "structured", docs, {
        "embedders": {"manual": {"source": "userProvided", "dimensions": DIMS}}, "filterableAttributes": ["bucket"],
        "pagination": {"maxTotalHits": 10_000}})
    yield engine, vectors, structured(rng, 40)
    engine.close()
    projection.PROJECT_MIN_COMPONENTS = saved


def search(engine, q, **params):
    return engine.index("structured").search(vector=q.tolist(), hybrid=SEMANTIC, **params)


def exact_order(vectors, q, keep=None):
    cos = similarities(q, vectors)
    return [int(i) for i in np.argsort(-cos, kind="stable") if keep is None or keep(int(i))]


def matrix_of(engine, uid="structured"):
    with engine.store.index_env.begin() as txn:
        ctx = SearchContext(engine.store, txn, engine.registry, engine.registry.require(txn, uid))
        return embedder_matrix(ctx, "manual", ctx.settings["embedders"]["manual"])


def recall(found, expected):
    return len(set(found) & set(expected)) / len(expected)


# 1 -------------------------------------------------------------------------------------------------

def test_the_matrix_is_projected(corpus):
    engine, _, _ = corpus
    reduced = matrix_of(engine).projection
    assert reduced is not None
    assert reduced.basis.shape == (DIMS, projection.MIN_COMPONENTS)
    assert reduced.reduced.shape == (N + 1, projection.MIN_COMPONENTS)


def test_recall_and_exact_scores_unfiltered(corpus):
    engine, vectors, queries = corpus
    total = 0.0
    for q in queries:
        hits = search(engine, q, limit=11, show_ranking_score=True)["hits"][1:]  # after the zero vector
        total += recall([h["id"] for h in hits], exact_order(vectors, q)[:10])
        expected = similarities(q, vectors[[h["id"] for h in hits]])
        assert [h["_rankingScore"] for h in hits] == [float(s) for s in expected]
    assert total / len(queries) >= 0.95


def test_recall_with_a_filter(corpus):
    engine, vectors, queries = corpus
    total = 0.0
    for q in queries:
        hits = search(engine, q, limit=10, filter="bucket >= 40 AND bucket != 0")["hits"]
        assert all(h["bucket"] >= 40 for h in hits)
        total += recall([h["id"] for h in hits], exact_order(vectors, q, keep=lambda i: i % 100 >= 40)[:10])
    assert total / len(queries) >= 0.95


# 2 -------------------------------------------------------------------------------------------------

def test_a_zero_vector_is_always_the_nearest(corpus):
    engine, _, queries = corpus
    for q in queries[:5]:
        first = search(engine, q, limit=1, show_ranking_score=True)["hits"][0]
        assert (first["id"], first["_rankingScore"]) == (N, 1.0)


# 3 -------------------------------------------------------------------------------------------------

def test_paging_past_the_candidates_returns_every_document_once(corpus):
    engine, _, queries = corpus
    seen = []
    for offset in range(0, N + 1, 1000):
        body = search(engine, queries[0], offset=offset, limit=1000, attributes_to_retrieve=["id"])
        seen += [h["id"] for h in body["hits"]]
    assert sorted(seen) == list(range(N + 1))
    assert body["estimatedTotalHits"] == N + 1


# 4 -------------------------------------------------------------------------------------------------

def test_small_and_binary_matrices_are_not_projected(tmp_path, monkeypatch):
    monkeypatch.setattr(projection, "PROJECT_MIN_COMPONENTS", 4_000_000)
    rng = np.random.default_rng(3)
    vectors = structured(rng, 2500)
    engine = Engine(tmp_path / "db", worker="thread")
    try:
        docs = [{"id": i, "_vectors": {"manual": vectors[i].tolist()}} for i in range(len(vectors))]
        index_documents(engine, "small", docs, {"embedders": {"manual": {"source": "userProvided", "dimensions": DIMS}}})
        assert matrix_of(engine, "small").projection is None  # 160,000 components: below the default
        index_documents(engine, "binary", docs, {"embedders": {"manual": {
            "source": "userProvided", "dimensions": DIMS, "binaryQuantized": True}}})
        monkeypatch.setattr(projection, "PROJECT_MIN_COMPONENTS", 0)
        assert matrix_of(engine, "binary").projection is None
    finally:
        engine.close()
