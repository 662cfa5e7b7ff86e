"""`run_search(as_fragments=True)` (what the HTTP route asks for) serialises exactly like the dicts.

A hit returned as stored is handed over as the stored JSON (`orjson.Fragment`); any hit the search
must change (fields to retrieve, `_vectors` hidden, ranking scores, geo distance) is decoded and
changed as before. Property proven here: for every parameter combination below, the JSON of the
raw answer equals the JSON of the dict answer, byte for byte, and hidden `_vectors` stay hidden.
"""
import orjson
import pytest

from engine.engine import Engine
from engine.meilisearch.search import run_search
from support import pop_request_uid
from engine.meilisearch.search_params import parse_search_body
from engine.settings import task_details, validate_settings_patch

DOCS = [
    {"id": 1, "title": "Blue whale", "tags": ["sea", "big"], "nested": {"a": 1, "b": "two"}, "price": 1.5},
    {"id": 2, "title": "Blue jay", "_vectors": {"default": [0.1, 0.2]}, "price": 10},
    {"id": 3, "title": "Blue cheese", "_geo": {"lat": 48.85, "lng": 2.35}, "note": "é \"quoted\" \\ slash"},
    {"id": 4, "title": "Red fox", "price": None},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("raw") / "db")
    patch = validate_settings_patch({"sortableAttributes": ["_geo", "price"], "filterableAttributes": ["_geo"]})
    assert engine.wait_for_task(engine.update_settings("p", patch, task_details(patch))["uid"])["status"] == "succeeded"
    assert engine.wait_for_task(engine.add_documents("p", DOCS, primary_key="id")["uid"])["status"] == "succeeded"
    yield engine
    engine.close()


BODIES = [
    {"q": "blue"},
    {"q": ""},
    {"q": "blue", "retrieveVectors": True},
    {"q": "blue", "attributesToRetrieve": ["title", "nested.b"]},
    {"q": "blue", "attributesToRetrieve": ["*"]},
    {"q": "blue", "showRankingScore": True},
    {"q": "blue", "showRankingScoreDetails": True},
    {"q": "", "sort": ["_geoPoint(48.8, 2.3):asc"]},
    {"q": "", "sort": ["price:desc"]},
]


@pytest.mark.parametrize("body", BODIES, ids=[orjson.dumps(b).decode() for b in BODIES])
def test_raw_answer_serialises_like_the_dict_answer(engine, body):
    index = engine.index("p")
    plain = run_search(index, parse_search_body(body))
    raw = run_search(index, parse_search_body(body), as_fragments=True)
    plain.pop("processingTimeMs")
    raw.pop("processingTimeMs")
    assert pop_request_uid(plain) != pop_request_uid(raw)
    assert orjson.dumps(raw) == orjson.dumps(plain)


def test_stored_hits_are_fragments_and_vectors_stay_hidden(engine):
    hits = run_search(engine.index("p"), parse_search_body({"q": "blue"}), as_fragments=True)["hits"]
    kinds = {orjson.loads(orjson.dumps(h))["id"]: type(h).__name__ for h in hits}
    assert kinds == {1: "Fragment", 2: "dict", 3: "Fragment"}
    assert [orjson.loads(orjson.dumps(h)) for h in hits][1] == {"id": 2, "title": "Blue jay", "price": 10}
