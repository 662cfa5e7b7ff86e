"""Dotted names in displayedAttributes, attributesToRetrieve and the formatting lists
(formatting.md §1), on nested objects and arrays of objects.

Properties:
1. A dotted attributesToRetrieve keeps the path's structure, into objects and into each object of
   an array (``doggos.name`` → ``{"doggos": [{"name": …}, …]}``); array elements without the
   sub-field are dropped, nested arrays are walked alike, other values of the array dropped.
2. Only a displayed name itself is retrievable: with displayedAttributes ``["doggos"]``,
   ``doggos.name`` retrieves nothing, and neither highlights nor crops, while `_matchesPosition`
   still reports ``doggos.name``; a dotted displayedAttributes ``["doggos.name"]`` shows only that
   branch, and ``doggos`` is then not retrievable.
3. `_formatted` of a dotted attributesToRetrieve keeps the same shape as the hit.
"""
from engine.index import select_fields

DOGGOS = {"id": 852, "doggos": [{"name": "bobby", "age": 2}, {"name": "buddy", "age": 4}], "cattos": "pésti"}


def hits(index, q, **params):
    return index.search(q, **params)["hits"]


# 1 ------------------------------------------------------------------------------------------------

def test_dotted_names_reach_into_arrays_of_objects():
    document = {"a": [{"b": 1, "c": 2}, {"c": 3}, "x", [{"b": 4}, 5], []], "o": {"b": 6, "c": 7}, "s": 8}
    assert select_fields(document, ["a.b", "o.b", "s"]) == {"a": [{"b": 1}, [{"b": 4}], []], "o": {"b": 6}, "s": 8}
    assert select_fields(document, ["a", "a.b"]) == {"a": document["a"]}
    # nothing selected in an array of objects or an object: the field is left out
    assert select_fields({"a": [{"c": 3}], "o": {"c": 7}}, ["a.z", "o.z"]) == {}


def test_dotted_retrieve_on_a_search(make_index):
    index = make_index([DOGGOS])
    assert hits(index, "bobby", attributesToRetrieve=["doggos.name"]) == [
        {"doggos": [{"name": "bobby"}, {"name": "buddy"}]}]


# 2 ------------------------------------------------------------------------------------------------

def test_only_displayed_names_are_retrievable(make_index):
    index = make_index([DOGGOS], {"displayedAttributes": ["doggos"]}, uid="whole")
    assert hits(index, "bobby", attributesToRetrieve=["doggos.name"]) == [{}]
    assert hits(index, "bobby", attributesToRetrieve=[], attributesToCrop=["doggos.name"]) == [{}]
    assert hits(index, "bobby", attributesToHighlight=["doggos.name"], showMatchesPosition=True) == [
        {"doggos": DOGGOS["doggos"],
         "_matchesPosition": {"doggos.name": [{"start": 0, "length": 5, "indices": [0]}]}}]

    index = make_index([DOGGOS], {"displayedAttributes": ["doggos.name"]}, uid="branch")
    assert hits(index, "bobby") == [{"doggos": [{"name": "bobby"}, {"name": "buddy"}]}]
    assert hits(index, "bobby", attributesToRetrieve=["doggos"]) == [{}]


# 3 ------------------------------------------------------------------------------------------------

def test_formatted_keeps_the_retrieved_shape(make_index):
    index = make_index([DOGGOS])
    assert hits(index, "bobby", attributesToRetrieve=["doggos.name"], attributesToHighlight=["doggos.name"]) == [
        {"doggos": [{"name": "bobby"}, {"name": "buddy"}],
         "_formatted": {"doggos": [{"name": "<em>bobby</em>"}, {"name": "buddy"}]}}]
