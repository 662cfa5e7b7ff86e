"""The per-document shape check (engine/documents/shape.py) and its fast skip of flat arrays.

Properties:
1. `_flat` says an array is flat only when it holds no object and no array, whatever JSON values
   it mixes (numbers, booleans, strings, null, nested values in any position); arrays of numbers,
   vectors among them, are flat.
2. Nesting inside an array is still found behind numbers: the depth error and its position are the
   ones of the first too-deep bracket, and new fields below arrays are counted.
"""
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.documents.shape import _SCALARS, _flat, check_shapes
from engine.errors import LoupeError

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64 - 1), st.floats(allow_nan=False),
                    st.text(max_size=3))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=2), inner, max_size=3)),
                           max_leaves=12)


# 1 -------------------------------------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(st.lists(json_values, max_size=8))
def test_flat_only_without_objects_or_arrays(values):
    has_container = any(isinstance(v, (list, dict)) for v in values)
    assert _flat(values) == (not has_container)
    assert _flat(values) == _SCALARS.issuperset(map(type, values))


@pytest.mark.parametrize("values", [
    [], [0.1] * 384, [1, 2.5, -3], [1e308, 1e308], [True, 0.5], [2**64 - 1, 1e308], [1, "a"], [None, 1.5],
])
def test_flat_arrays(values):
    assert _flat(values)


@pytest.mark.parametrize("values", [[0.1, [0.2]], [1, {"a": 1}], [[0.1, 0.2]], [{}], ["a", []], [2**64 - 1, 1e308, []]])
def test_arrays_holding_containers(values):
    assert not _flat(values)


# 2 -------------------------------------------------------------------------------------------------

def test_depth_error_behind_numbers():
    document = {"id": 1, "v": [0.5, 1, [[[]]]]}  # {"id":1,"v":[0.5,1,[[[]]]]}: the third [ is column 21
    raw = orjson.dumps(document)
    with pytest.raises(LoupeError) as error:
        check_shapes([document], {}, "ndjson", raw, max_nesting=3)
    assert error.value.code == "malformed_payload"
    assert str(error.value.message).endswith("recursion limit exceeded at line 1 column 21`.")
    check_shapes([document], {}, "ndjson", raw, max_nesting=5)


def test_fields_below_arrays_behind_numbers_are_counted():
    document = {"id": 1, "v": [0.5, {"a": 1, "b": 2}]}
    check_shapes([document], {}, "json", b"", max_fields=4)  # id, v, v.a, v.b
    with pytest.raises(LoupeError) as error:
        check_shapes([document], {}, "json", b"", max_fields=3)
    assert error.value.code == "max_fields_limit_exceeded"
