"""Payload parsing and primary keys (api.md §3.3, tasks.md §7.4).

Properties:
1. JSON object/array, NDJSON with blank lines, CSV with typed headers and delimiters parse as specified;
2. malformed payloads get Meilisearch's messages with the format name (CSV type and record-length
   errors word for word, lines counted as upstream's `read_csv` and the csv crate count them);
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


@pytest.mark.parametrize("raw, detail", [
    # upstream's add_csv_document_with_types_error and error_add_malformed_csv_documents
    (b"#id:number,a:boolean,b:number\n0,doggo,1",
     'Error parsing boolean "doggo" at line 1: provided string was not `true` or `false`'),
    (b"#id:number,a:boolean,b:number\n0,true,doggo", 'Error parsing number "doggo" at line 1: invalid float literal'),
    (b"id, content\n1234, hello, world\n12, hello world",
     "CSV error: record 1 (line: 2, byte: 12): found record with 3 fields, but the previous record has 2 fields"),
    # lines count records after the headers, blank lines skipped; the value is shown untrimmed, as Rust's
    # `{:?}` quotes it
    (b"a:number\n1\n\n2\n \"x\" \n", 'Error parsing number " \\"x\\" " at line 3: invalid float literal'),
    (b"a:boolean\nTrue\n", 'Error parsing boolean "True" at line 1: provided string was not `true` or `false`'),
    (b"a:number,b\n1,2\n\n3\n",
     "CSV error: record 2 (line: 4, byte: 16): found record with 1 fields, but the previous record has 2 fields"),
])
def test_csv_errors_as_upstream(raw, detail):
    with pytest.raises(LoupeError) as err:
        prepare_update_file(raw, "csv")
    assert (err.value.code, err.value.message) == ("malformed_payload",
                                                   f"The `csv` payload provided is malformed: `{detail}`.")


def test_csv_numbers_as_upstream():
    assert docs(b"a:number\n+5\n1e3\n 7 \n.5\n", "csv") == [{"a": 5}, {"a": 1000.0}, {"a": 7}, {"a": 0.5}]
    with pytest.raises(LoupeError):
        docs(b"a:number\n1_000\n", "csv")


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
