"""Payload parsing and primary keys (api.md §3.3, tasks.md §7.4).

Properties:
1. JSON object/array, NDJSON with blank lines, CSV with typed headers and delimiters parse as specified;
2. malformed payloads get Meilisearch's messages with the format name;
3. primary key inference: exactly one field ending in `id`; document ids validated.
"""
import pytest

from engine.documents.payloads import decode_update_file, prepare_update_file
from engine.documents.primary_key import document_id, external_id, infer_primary_key
from engine.errors import LoupeError


def docs(raw, fmt, delimiter=","):
    payload, stored, count = prepare_update_file(raw, fmt, delimiter)
    out = decode_update_file(payload, stored)
    assert len(out) == count
    return out


def test_formats():
    assert docs(b'{"id": 1}', "json") == [{"id": 1}]
    assert docs(b'[{"id": 1}, {"id": 2}]', "json") == [{"id": 1}, {"id": 2}]
    assert docs(b'[]', "json") == []
    assert docs(b'{"id": 1}\n\n{"id": 2}\n', "ndjson") == [{"id": 1}, {"id": 2}]
    assert docs(b"id,price:number,ok:boolean,name:text\n1,1.5,true,x\n2,,false,y\n", "csv") == [
        {"id": "1", "price": 1.5, "ok": True, "name:text": "x"},
        {"id": "2", "price": None, "ok": False, "name:text": "y"},
    ]
    assert docs(b"id;n:number\n1;3\n", "csv", ";") == [{"id": "1", "n": 3}]


@pytest.mark.parametrize("raw,fmt,code,start", [
    (b"", "json", "missing_payload", "A json payload is missing."),
    (b"", "csv", "missing_payload", "A csv payload is missing."),
    (b"[1]", "json", "malformed_payload", "The `json` payload provided is malformed. `Couldn't serialize"),
    (b'{"id": 1}\n[1]', "ndjson", "malformed_payload", "The `ndjson` payload provided is malformed."),
    (b"{", "ndjson", "malformed_payload", "The `ndjson` payload provided is malformed."),
    (b"id,n:number\n1,abc\n", "csv", "malformed_payload", "The `csv` payload provided is malformed: `"),
    (b"id,n\n1\n", "csv", "malformed_payload", "The `csv` payload provided is malformed: `"),
])
def test_errors(raw, fmt, code, start):
    with pytest.raises(LoupeError) as err:
        prepare_update_file(raw, fmt)
    assert err.value.code == code and err.value.message.startswith(start)


def test_primary_key():
    assert infer_primary_key({"title": 1, "movieId": 2}) == "movieId"
    with pytest.raises(LoupeError) as err:
        infer_primary_key({"title": 1})
    assert err.value.code == "index_primary_key_no_candidate_found"
    assert external_id(12) == "12" and external_id("a-b_C") == "a-b_C"
    for bad in (1.5, True, "a b", "", "x" * 512, {"a": 1}):
        with pytest.raises(LoupeError) as err:
            external_id(bad)
        assert err.value.code == "invalid_document_id"
    assert document_id({"a": {"b": 7}}, "a.b") == "7"
    with pytest.raises(LoupeError) as err:
        document_id({"x": 1}, "id")
    assert err.value.message == 'Document doesn\'t have a `id` attribute: `{"x":1}`.'
