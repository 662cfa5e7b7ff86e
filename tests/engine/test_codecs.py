"""Bitmap and array helpers of `engine.store.codecs` against their plain definitions.

Properties proven here:
1. `bitmap_from_sorted` (Roaring's portable format built in numpy) holds exactly the given values
   for any ascending distinct input: empty, below and above the small-input cut, array and bitset
   containers on both sides of 4096 values, several 2**16 chunks, values up to 2**32 - 1, int64
   and uint32 arrays.
2. `unique_sorted` and `sorted_member` equal `np.unique` and `np.isin` on sorted input.
3. `occurrences_of` keeps exactly the occurrences of the given documents, in order.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from pyroaring import BitMap

from engine.store.codecs import (bitmap_from_array, bitmap_from_sorted, occurrences_of, sorted_member,
                                 unique_sorted)

EDGES = [
    [],
    [0],
    [2**32 - 1],
    list(range(1023)),
    list(range(1024)),
    list(range(4096)),
    list(range(4097)),
    list(range(0, 1 << 17, 3)),                      # two chunks, bitset containers
    list(range(65000, 66100)) + list(range(2**32 - 2000, 2**32)),
    list(range(0, 1 << 16)),                         # a full chunk
]


@pytest.mark.parametrize("values", EDGES, ids=lambda v: f"{len(v)} values")
@pytest.mark.parametrize("dtype", [np.int64, np.uint32])
def test_bitmap_from_sorted_edges(values, dtype):
    array = np.array(values, dtype=dtype)
    assert bitmap_from_sorted(array) == BitMap(values)
    assert bitmap_from_sorted(array) == bitmap_from_array(array)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 3 * (1 << 16)), max_size=12000, unique=True),
       st.sampled_from([0, 5000, 2**32 - 4 * (1 << 16)]))
def test_bitmap_from_sorted_random(values, shift):
    values = sorted(v + shift for v in values)
    assert list(bitmap_from_sorted(np.array(values, dtype=np.int64))) == values


@given(st.lists(st.integers(0, 50), max_size=60), st.lists(st.integers(0, 50), max_size=60))
def test_unique_sorted_and_sorted_member(values, keys):
    values, keys = np.sort(np.array(values, dtype=np.int64)), np.unique(np.array(keys, dtype=np.int64))
    assert unique_sorted(values).tolist() == np.unique(values).tolist()
    assert sorted_member(values, keys).tolist() == np.isin(values, keys).tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3), st.integers(0, 65535)), max_size=200),
       st.sets(st.integers(0, 45), max_size=20))
def test_occurrences_of_documents_equal_a_docid_filter(triples, ids):
    """Picking documents' occurrences by binary search keeps exactly, in order, the occurrences a
    filter on their docids keeps (documents with none, or absent from the keys, included)."""
    occ = np.array(sorted({d << 32 | f << 16 | p for d, f, p in triples}), dtype=np.int64)
    wanted = np.array(sorted(ids), dtype=np.uint32)
    expected = occ[np.isin(occ >> 32, wanted.astype(np.int64))]
    assert occurrences_of(occ, wanted).tolist() == expected.tolist()
