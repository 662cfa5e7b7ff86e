"""Geo: `_geo` validation, `_geoRadius` / `_geoBoundingBox` filters, `_geoPoint` sort and `_geoDistance`.

Properties:
1. an invalid `_geo` fails the task with `invalid_document_geo_field` and Meilisearch's message,
   only when `_geo` is filterable or sortable; a settings task making it so fails on stored ones;
2. `_geoRadius` keeps documents within the radius; `_geoBoundingBox` within the box;
3. `_geoPoint(lat, lng):asc` sorts nearest first, documents without `_geo` last, and hits carry
   `_geoDistance` in metres.
"""
from engine.engine import Engine
from engine.settings import task_details, validate_settings_patch

PLACES = [
    {"id": 1, "name": "Paris", "_geo": {"lat": 48.8566, "lng": 2.3522}},
    {"id": 2, "name": "Lyon", "_geo": {"lat": "45.764", "lng": "4.8357"}},
    {"id": 3, "name": "Nowhere"},
    {"id": 4, "name": "Versailles", "_geo": {"lat": 48.8049, "lng": 2.1204}},
]


def make(tmp_path, settings):
    engine = Engine(tmp_path / "db")
    patch = validate_settings_patch(settings)
    engine.wait_for_task(engine.update_settings("geo", patch, task_details(patch))["uid"])
    return engine


def test_geo_validation(tmp_path):
    engine = make(tmp_path, {"filterableAttributes": ["_geo"]})
    task = engine.wait_for_task(engine.add_documents("geo", [{"id": 1, "_geo": {"lat": 1}}])["uid"])
    assert task["status"] == "failed"
    assert task["error"]["code"] == "invalid_document_geo_field"
    assert task["error"]["message"] == ("Index `geo`: Could not find longitude in the document with the id: `\"1\"`. "
                                        "Was expecting a `_geo.lng` field.")
    task = engine.wait_for_task(engine.add_documents("geo", [{"id": "a", "_geo": {"lat": "x", "lng": 2}}])["uid"])
    assert task["error"]["message"] == ("Index `geo`: Could not parse latitude in the document with the id: `\"a\"`. "
                                        "Was expecting a finite number but instead got `\"x\"`.")
    engine.close()


def test_geo_validation_messages_as_upstream(tmp_path):
    """Upstream's add_documents_invalid_geo_field: `lat` and `lng` are looked for first, other
    fields only matter once both are there."""
    engine = make(tmp_path, {"sortableAttributes": ["_geo"]})
    for geo, message in (
            ({"doggos": "are good"}, 'Could not find latitude nor longitude in the document with the id: `"11"`. '
                                     'Was expecting `_geo.lat` and `_geo.lng` fields.'),
            ({}, 'Could not find latitude nor longitude in the document with the id: `"11"`. '
                 'Was expecting `_geo.lat` and `_geo.lng` fields.'),
            ({"lat": "doggo", "x": 1}, 'Could not find longitude in the document with the id: `"11"`. '
                                       'Was expecting a `_geo.lng` field.'),
            ({"lat": 1, "lng": 2, "doggo": "are the best"},
             'The `_geo` field in the document with the id: `"11"` contains the following unexpected fields: '
             '`{"doggo":"are the best"}`.')):
        task = engine.wait_for_task(engine.add_documents("geo", [{"id": "11", "_geo": geo}])["uid"])
        assert (task["status"], task["error"]["code"], task["error"]["message"]) == (
            "failed", "invalid_document_geo_field", f"Index `geo`: {message}"), geo
    engine.close()


def test_settings_that_check_geo_fail_on_stored_invalid_geo(tmp_path):
    """`_geo` is only checked while filterable or sortable: documents stored before make the
    settings task that turns the check on fail, and the settings stay as they were."""
    engine = make(tmp_path, {"filterableAttributes": ["name"]})
    docs = [{"id": 1, "name": "ok", "_geo": {"lat": 1, "lng": 2}}, {"id": 2, "name": "bad", "_geo": {"lat": 1}}]
    assert engine.wait_for_task(engine.add_documents("geo", docs)["uid"])["status"] == "succeeded"
    for setting in ({"sortableAttributes": ["_geo"]}, {"filterableAttributes": ["name", "_geo"]}):
        patch = validate_settings_patch(setting)
        task = engine.wait_for_task(engine.update_settings("geo", patch, task_details(patch))["uid"])
        assert (task["status"], task["error"]) == ("failed", {
            "message": 'Index `geo`: Could not find longitude in the document with the id: `"2"`. '
                       'Was expecting a `_geo.lng` field.',
            "code": "invalid_document_geo_field", "type": "invalid_request",
            "link": "https://docs.meilisearch.com/errors#invalid_document_geo_field"}), setting
    settings = engine.index("geo").settings()
    assert (settings["filterableAttributes"], settings["sortableAttributes"]) == (["name"], [])
    # once the document is fixed the settings apply
    engine.wait_for_task(engine.add_documents("geo", [{"id": 2, "name": "bad", "_geo": {"lat": 1, "lng": 3}}])["uid"])
    patch = validate_settings_patch({"sortableAttributes": ["_geo"]})
    assert engine.wait_for_task(engine.update_settings("geo", patch, task_details(patch))["uid"])["status"] == "succeeded"
    engine.close()


def test_geo_filters_and_sort(tmp_path):
    engine = make(tmp_path, {"filterableAttributes": ["_geo"], "sortableAttributes": ["_geo"]})
    assert engine.wait_for_task(engine.add_documents("geo", PLACES)["uid"])["status"] == "succeeded"
    index = engine.index("geo")
    ids = lambda r: [h["id"] for h in r["hits"]]  # noqa: E731
    assert ids(index.search("", filter="_geoRadius(48.8566, 2.3522, 20000)")) == [1, 4]
    assert ids(index.search("", filter="_geoBoundingBox([49, 5], [45, 2.2])")) == [1, 2]
    result = index.search("", sort=["_geoPoint(45.75, 4.85):asc"])
    assert ids(result) == [2, 1, 4, 3]
    assert result["hits"][0]["_geoDistance"] == 1912
    assert "_geoDistance" not in result["hits"][3]
    engine.close()
