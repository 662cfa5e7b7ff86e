"""The `vectors` table read as a whole (engine/vectors/store.py, matrix.py, ann.py).

Properties:
1. `VectorTable.read_all` and `EmbedderMatrix.load` give, for every mix of entries (one embedding,
   several, `null`, each flag combination), exactly what decoding each entry alone with `decode`
   gives: the same rows in docid order, owners, user-provided and regenerate bitmaps; entries of
   another embedder or another index never bleed in.
2. A value whose floats do not split into rows of the dimensions holds no embedding, as `decode` says.
3. `count_rows` counts embeddings without decoding them, and the forest builder sizes a matrix
   before loading it: below `ANN_MIN_COMPONENTS` nothing is loaded.
"""
import numpy as np
import pytest
from pyroaring import BitMap

from engine.engine import Engine
from engine.vectors import ann
from engine.vectors.matrix import EmbedderMatrix
from engine.vectors.store import VectorTable, decode, user_provided_flag

DIMS = 4


@pytest.fixture
def store(tmp_path):
    engine = Engine(tmp_path / "db", worker="thread")
    yield engine.store
    engine.close()


def entries(rng):
    """(docid, embeddings, regenerate, user_provided) of a mixed table, docids not in order."""
    out = []
    for docid in rng.permutation(300).tolist():
        count = int(rng.choice([0, 1, 1, 1, 2, 5]))
        embeddings = rng.standard_normal((count, DIMS)).astype(np.float32)
        out.append((docid, embeddings, bool(rng.integers(2)), bool(rng.integers(2))))
    return out


def fill(store, rng):
    table_entries = entries(rng)
    with store.index_env.begin(write=True) as txn:
        table = VectorTable(store, txn, 7)
        for docid, embeddings, regenerate, given in table_entries:
            table.put("manual", docid, embeddings, regenerate, given)
            table.put("other", docid, np.ones((1, DIMS), np.float32), True)  # same index, other embedder
        VectorTable(store, txn, 8).put("manual", 0, np.ones((3, DIMS), np.float32), True)  # another index
        VectorTable(store, txn, 6).put("manual", 9, np.ones((2, DIMS), np.float32), True)
        table.record_dimensions("manual", DIMS)
    return table_entries


def one_by_one(store, name, dimensions):
    """The reference: every entry decoded alone."""
    rows, owners, given, regenerated = [], [], BitMap(), BitMap()
    with store.index_env.begin() as txn:
        for docid, raw in VectorTable(store, txn, 7).scan(name):
            embeddings, regenerate = decode(raw, dimensions)
            if user_provided_flag(raw):
                given.add(docid)
            if regenerate:
                regenerated.add(docid)
            rows.extend(embeddings)
            owners.extend([docid] * len(embeddings))
    matrix = np.asarray(rows, np.float32) if rows else np.zeros((0, dimensions), np.float32)
    return matrix, np.asarray(owners, np.uint32), given, regenerated


# 1 -------------------------------------------------------------------------------------------------

def test_matrix_load_equals_decoding_each_entry(store):
    written = fill(store, np.random.default_rng(3))
    rows, owners, given, regenerated = one_by_one(store, "manual", DIMS)
    with store.index_env.begin() as txn:
        matrix = EmbedderMatrix.load(store, txn, 7, "manual", DIMS, False)
    assert matrix.rows.dtype == np.float32 and matrix.rows.flags.writeable
    assert np.array_equal(matrix.rows, rows) and matrix.rows.shape == rows.shape
    assert matrix.owners.dtype == np.uint32 and np.array_equal(matrix.owners, owners)
    assert matrix.user_provided == given and matrix.must_regenerate == regenerated
    # and against what was written, not only against `decode`
    by_docid = {docid: (embeddings, regenerate, flag) for docid, embeddings, regenerate, flag in written}
    expected = np.concatenate([by_docid[d][0] for d in sorted(by_docid)])
    assert np.array_equal(matrix.rows, expected)
    assert matrix.user_provided == BitMap(d for d, (_e, _r, flag) in by_docid.items() if flag)
    assert matrix.must_regenerate == BitMap(d for d, (_e, regenerate, _f) in by_docid.items() if regenerate)
    assert matrix.with_vectors == BitMap(d for d, (e, _r, _f) in by_docid.items() if len(e))


def test_read_all_of_an_empty_embedder(store):
    fill(store, np.random.default_rng(4))
    with store.index_env.begin() as txn:
        stored = VectorTable(store, txn, 7).read_all("nobody", DIMS)
        matrix = EmbedderMatrix.load(store, txn, 7, "nobody", DIMS, False)
    assert len(stored.docids) == len(stored.counts) == len(stored.flags) == 0 and stored.rows.size == 0
    assert matrix.rows.shape == (0, DIMS) and len(matrix.owners) == 0 and not matrix.user_provided


# 2 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dimensions", [3, 0])
def test_values_not_splitting_into_rows_hold_none(store, dimensions):
    fill(store, np.random.default_rng(5))
    rows, owners, given, regenerated = one_by_one(store, "manual", dimensions)
    assert len(rows) == 0 and given  # 4-float rows read as 3-float ones: nothing, flags still read
    with store.index_env.begin() as txn:
        matrix = EmbedderMatrix.load(store, txn, 7, "manual", dimensions, False)
    assert matrix.rows.shape == (0, dimensions) and len(matrix.owners) == 0
    assert matrix.user_provided == given and matrix.must_regenerate == regenerated


# 3 -------------------------------------------------------------------------------------------------

def test_count_rows_and_no_load_below_the_forest_threshold(store, monkeypatch):
    written = fill(store, np.random.default_rng(6))
    with store.index_env.begin() as txn:
        table = VectorTable(store, txn, 7)
        assert table.count_rows("manual", DIMS) == sum(len(e) for _d, e, _r, _f in written)
        assert table.count_rows("manual", 3) == 0 and table.count_rows("manual", 0) == 0
    monkeypatch.setattr(ann, "MIN_ROWS", 1)
    monkeypatch.setattr(ann, "ANN_MIN_COMPONENTS", 10**9)

    def no_load(*args, **kwargs):
        raise AssertionError("loaded a matrix that deserves no forest")

    monkeypatch.setattr(EmbedderMatrix, "load", no_load)
    config = {"source": "userProvided", "dimensions": DIMS}
    with store.index_env.begin() as txn:
        assert ann.load_for_build(store, 7, "manual", config, txn) is None
    monkeypatch.undo()
    monkeypatch.setattr(ann, "MIN_ROWS", 1)
    monkeypatch.setattr(ann, "ANN_MIN_COMPONENTS", 0)
    with store.index_env.begin() as txn:
        matrix = ann.load_for_build(store, 7, "manual", config, txn)
    assert matrix is not None and matrix.projection is None
    assert len(matrix.rows) == sum(len(e) for _d, e, _r, _f in written)
