"""Fuzzing, CI-sized (issue 19, point 6): the property of tests/fuzzing.py holds for
1. random document payloads (JSON, NDJSON, garbage; odd ids, unicode, edge numbers, deep nesting,
   many fields, huge strings, reserved fields), several per batch: every task ends succeeded or
   failed with a non-internal Meilisearch error, and the index keeps answering;
2. random bodies on every route that reads a JSON body;
3. random filters (the filter language, its array form, and arbitrary JSON) on search, document
   fetch and deletion by filter.

A few hundred examples, well under a minute; `python bench/fuzz.py` runs the same property with
many more.
"""
from __future__ import annotations

import urllib.parse

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import BODIES, FILTERS, OUTBOUND, PAYLOADS, SETTINGS, Harness, check_error, json_body_routes



def ci(examples: int) -> settings:
    """Fixed examples (derandomized, no example database): a CI run is reproducible."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    h = Harness(tmp_path_factory.mktemp("fuzz"))
    h.prepare()
    yield h
    h.close()


def test_check_error_rejects_what_it_must():
    """The property's checker itself: a malformed or internal error object is caught."""
    good = {"message": "Index `x` not found.", "code": "index_not_found", "type": "invalid_request",
            "link": "https://docs.meilisearch.com/errors#index_not_found"}
    check_error(404, good, "good")
    for bad, status in [({**good, "type": "internal"}, 404), ({**good, "link": "x"}, 404), (good, 400),
                        ({**good, "code": "made_up_code"}, 400), ({"message": "m", "code": "internal",
                         "type": "internal", "link": "https://docs.meilisearch.com/errors#internal"}, 500),
                        ({k: good[k] for k in ("code", "message", "type", "link")}, 404), ("text", 400)]:
        with pytest.raises(AssertionError):
            check_error(status, bad, "bad")


@ci(120)
@given(payloads=st.lists(PAYLOADS, min_size=1, max_size=3), primary_key=st.sampled_from([None, "id", "title"]),
       new_settings=st.one_of(st.none(), SETTINGS))
def test_document_payloads(harness, payloads, primary_key, new_settings):
    if new_settings is not None:
        harness.request("PATCH", "/indexes/docs/settings", orjson.dumps(new_settings))
    query = f"?primaryKey={primary_key}" if primary_key else ""
    for body, content_type in payloads:
        harness.request("POST", f"/indexes/docs/documents{query}", body, content_type)
    harness.process()
    status, _ = harness.request("POST", "/indexes/docs/search", b'{"q": "a", "limit": 3}')
    assert status in (200, 404)
    status, _ = harness.request("GET", "/indexes/docs/documents?limit=3")
    assert status in (200, 404)


ROUTES = json_body_routes()
#: aiohttp refuses request lines over 8,190 bytes itself, before any route (as text, today: the
#: HTTP layer's errors are another part of issue 19); the GET form stays under that.
MAX_URL_QUERY = 8_000


@ci(200)
@given(route=st.sampled_from(ROUTES), body=BODIES)
def test_json_bodies(harness, route, body):
    method, path = route
    status, _ = harness.request(method, path, orjson.dumps(body))
    if status == 202 and route not in OUTBOUND:
        harness.process()


@ci(150)
@given(filter=FILTERS)
def test_filters(harness, filter):
    body = orjson.dumps({"filter": filter})
    harness.request("POST", "/indexes/films/search", body)
    harness.request("POST", "/indexes/films/documents/fetch", body)
    if isinstance(filter, str) and len(urllib.parse.quote(filter)) < MAX_URL_QUERY:
        harness.request("GET", "/indexes/films/search?filter=" + urllib.parse.quote(filter))
    status, _ = harness.request("POST", "/indexes/films/facet-search",
                                orjson.dumps({"facetName": "genre", "filter": filter}))
    assert status in (200, 400)


def test_deletion_by_random_filters_never_fails_internally(harness):
    """Deletion by filter runs the filter in the worker: a batch of them, each alone at fault."""
    for filter in ["genre = nope", "year > 3000", "missing = 1", "_geoRadius(1, 2, 3)", "rating 1 TO",
                   "(" * 300 + "genre = a" + ")" * 300, " OR ".join(["genre = a"] * 2000)]:
        harness.request("POST", "/indexes/films/documents/delete", orjson.dumps({"filter": filter}))
    harness.process()
