"""GET /metrics and the metrics registry (api.md §18, errors-auth.md §4.3).

Properties proven:
 1. With the `metrics` feature off the route answers 400 `feature_not_enabled` with upstream's
    message — even for a key that could not read all indexes (the feature is checked first).
 2. A key whose indexes are not `*` gets 403 `invalid_api_key` with the `/metrics` hint; a key
    lacking `metrics.get` is refused by the dispatcher; `metrics.get` on `*` is enough.
 3. The body is Prometheus text v0.0.4 (content type included): every line is a `# HELP`, a
    `# TYPE` or a well-formed sample; families appear sorted by name, HELP then TYPE then samples.
 4. State gauges reflect the store: index count, documents per index, task counts per status,
    type and index, db sizes, is_indexing, last update (unix seconds).
 5. Task queue latency is the age of the oldest enqueued/processing task, 0 when none.
 6. The registry counts requests per (method, template, status) and keeps a cumulative histogram
    per (method, template) with upstream's buckets, `le` printed like Rust (`1`, `+Inf`), sum and
    count; unmatched routes share one label; label values are escaped; bucket bounds are
    inclusive (`le` = less or equal).
"""
from __future__ import annotations

import re
import time

import pytest

import server.app as app_module
from engine.engine import Engine
from server.metrics import BUCKETS, UNMATCHED, MetricsRegistry, collect_state, render_lines, route_template
from server.routes import metrics as metrics_routes

KEY = "a-master-key-of-16-bytes"
FEATURE_MESSAGE = ("Getting metrics requires enabling the `metrics` experimental feature. "
                   "See https://github.com/meilisearch/product/discussions/625")
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(rf"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{{{_LABEL}(?:,{_LABEL})*\}})? (-?[0-9][0-9.e+-]*|\+Inf|NaN)")


def _build_router():
    router = _ORIGINAL_BUILD()
    metrics_routes.register(router)
    return router


_ORIGINAL_BUILD = app_module.build_router


@pytest.fixture
def engine(tmp_path):
    engine = Engine(tmp_path / "db", worker="thread")
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client, monkeypatch):
    monkeypatch.setattr(app_module, "build_router", _build_router)
    app = app_module.create_app(engine, master_key=KEY)
    app["metrics"] = MetricsRegistry()
    client = await aiohttp_client(app)
    client.master = {"Authorization": f"Bearer {KEY}"}
    return client


async def _enable(http):
    r = await http.patch("/experimental-features", json={"metrics": True}, headers=http.master)
    assert r.status == 200


async def _key(http, actions, indexes):
    r = await http.post("/keys", json={"actions": actions, "indexes": indexes, "expiresAt": None},
                        headers=http.master)
    assert r.status == 201, await r.text()
    return {"Authorization": f"Bearer {(await r.json())['key']}"}


def _error(code, message):
    return {"message": message, "code": code, "type": "auth" if code == "invalid_api_key" else "invalid_request",
            "link": "https://docs.meilisearch.com/errors#" + code}


def parse(text: str) -> dict[str, list[tuple[str, dict[str, str], str]]]:
    """family -> samples, asserting the text format along the way."""
    assert text.endswith("\n")
    families: dict[str, list] = {}
    current = None
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("# HELP "):
            current = line.split(" ")[2]
            assert current not in families
            families[current] = []
            assert lines[n + 1].startswith(f"# TYPE {current} ")
        elif line.startswith("# TYPE "):
            assert line.split(" ")[2] == current and line.split(" ")[3] in ("gauge", "counter", "histogram")
        else:
            match = SAMPLE.fullmatch(line)
            assert match, line
            assert match.group(1).startswith(current)
            labels = dict(re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', line.rsplit(" ", 1)[0]))
            families[current].append((match.group(1), labels, match.group(2)))
    assert list(families) == sorted(families)
    return families


def value(families, family, **labels):
    hits = [v for name, got, v in families[family] if name == family and got == labels]
    assert len(hits) == 1, (family, labels)
    return hits[0]


# 1 -------------------------------------------------------------------------------------------------

async def test_feature_gate(http):
    r = await http.get("/metrics", headers=http.master)
    assert r.status == 400 and await r.json() == _error("feature_not_enabled", FEATURE_MESSAGE)
    restricted = await _key(http, ["*"], ["movies"])
    r = await http.get("/metrics", headers=restricted)
    assert r.status == 400 and (await r.json())["code"] == "feature_not_enabled"
    await _enable(http)
    r = await http.get("/metrics", headers=http.master)
    assert r.status == 200
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"


async def test_forced_feature(engine, aiohttp_client, monkeypatch):
    monkeypatch.setattr(app_module, "build_router", _build_router)
    client = await aiohttp_client(app_module.create_app(engine, forced_features=frozenset({"metrics"})))
    r = await client.get("/metrics")
    assert r.status == 200  # no master key: open instance; no registry: state gauges only
    families = parse(await r.text())
    assert "meilisearch_http_requests_total" not in families and "meilisearch_index_count" in families


# 2 -------------------------------------------------------------------------------------------------

async def test_key_must_cover_all_indexes(http):
    await _enable(http)
    r = await http.get("/metrics", headers=await _key(http, ["*"], ["movies"]))
    assert r.status == 403
    assert await r.json() == _error("invalid_api_key", "The provided API key is invalid. The API key for the "
                                                       "`/metrics` route must allow access to all indexes.")
    r = await http.get("/metrics", headers=await _key(http, ["search"], ["*"]))
    assert r.status == 403 and await r.json() == _error("invalid_api_key", "The provided API key is invalid.")
    r = await http.get("/metrics", headers=await _key(http, ["metrics.get"], ["*"]))
    assert r.status == 200


# 3, 4 ---------------------------------------------------------------------------------------------

async def test_state_gauges(http, engine):
    first = engine.add_documents("movies", [{"id": 1}, {"id": 2}])
    second = engine.add_documents("books", [{"id": "a"}])
    engine.wait_for_task(first["uid"])
    engine.wait_for_task(second["uid"])
    await _enable(http)
    before = time.time()
    r = await http.get("/metrics", headers=http.master)
    families = parse(await r.text())
    assert value(families, "meilisearch_index_count") == "2"
    assert value(families, "meilisearch_index_docs_count", index="movies") == "2"
    assert value(families, "meilisearch_index_docs_count", index="books") == "1"
    assert [labels["index"] for _, labels, _ in families["meilisearch_index_docs_count"]] == ["books", "movies"]
    assert value(families, "meilisearch_nb_tasks", kind="statuses", value="succeeded") == "2"
    assert value(families, "meilisearch_nb_tasks", kind="statuses", value="failed") == "0"
    assert value(families, "meilisearch_nb_tasks", kind="types", value="documentAdditionOrUpdate") == "2"
    assert value(families, "meilisearch_nb_tasks", kind="types", value="settingsUpdate") == "0"
    assert value(families, "meilisearch_nb_tasks", kind="indexes", value="movies") == "1"
    assert value(families, "meilisearch_is_indexing") == "0"
    assert value(families, "meilisearch_task_queue_latency_seconds") == "0"
    assert abs(int(value(families, "meilisearch_last_update")) - before) < 60
    assert int(value(families, "meilisearch_db_size_bytes")) == engine.store.size_on_disk()
    assert int(value(families, "meilisearch_used_db_size_bytes")) == engine.store.used_size()
    used = int(value(families, "meilisearch_task_queue_used_size"))
    top = int(value(families, "meilisearch_task_queue_max_size"))
    assert 0 < used < top and int(value(families, "meilisearch_task_queue_size_until_stop_registering")) == \
        int(top * 0.4) - used


# 5 -------------------------------------------------------------------------------------------------

def test_queue_latency(tmp_path):
    engine = Engine(tmp_path / "db", worker="none")
    try:
        task = engine.add_documents("movies", [{"id": 1}])
        samples = collect_state(engine, now_ns=task["enqueuedAt"] + 2_500_000_000)
        assert samples["meilisearch_task_queue_latency_seconds"] == [
            ("meilisearch_task_queue_latency_seconds", (), 2.5)]
        nb = {labels: n for _, labels, n in samples["meilisearch_nb_tasks"]}
        assert nb[(("kind", "statuses"), ("value", "enqueued"))] == 1
        assert samples["meilisearch_index_count"] == [("meilisearch_index_count", (), 0)]
    finally:
        engine.close()


# 6 -------------------------------------------------------------------------------------------------

def test_registry_counts_and_histogram():
    registry = MetricsRegistry()
    registry.record("GET", "/indexes/{index_uid}/search", 200, 0.003)
    registry.record("GET", "/indexes/{index_uid}/search", 200, 0.3)
    registry.record("GET", "/indexes/{index_uid}/search", 404, 20.0)
    registry.record("POST", None, 404, 0.001)
    families = parse("\n".join(registry.render_traffic()) + "\n")
    assert families["meilisearch_http_requests_total"] == [
        ("meilisearch_http_requests_total", {"method": "GET", "path": "/indexes/{index_uid}/search", "status": "200"}, "2"),
        ("meilisearch_http_requests_total", {"method": "GET", "path": "/indexes/{index_uid}/search", "status": "404"}, "1"),
        ("meilisearch_http_requests_total", {"method": "POST", "path": UNMATCHED, "status": "404"}, "1"),
    ]
    hist = [s for s in families["meilisearch_http_response_time_seconds"] if s[1]["method"] == "GET"]
    buckets = [(labels["le"], n) for name, labels, n in hist if name.endswith("_bucket")]
    assert [le for le, _ in buckets] == ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75",
                                         "1", "2.5", "5", "7.5", "10", "+Inf"]
    assert [int(n) for _, n in buckets] == [1] * 7 + [2] * 7 + [3]
    assert [(name, n) for name, _, n in hist if not name.endswith("_bucket")] == [
        ("meilisearch_http_response_time_seconds_sum", "20.303"),
        ("meilisearch_http_response_time_seconds_count", "3")]
    assert families["meilisearch_degraded_search_requests"] == [("meilisearch_degraded_search_requests", {}, "0")]
    assert len(BUCKETS) == 14


async def test_route_traffic_appears_in_metrics(http):
    await _enable(http)
    http.app["metrics"].record("PATCH", "/experimental-features", 200, 0.01)
    families = parse(await (await http.get("/metrics", headers=http.master)).text())
    assert value(families, "meilisearch_http_requests_total", method="PATCH", path="/experimental-features",
                 status="200") == "1"


def test_label_escaping_and_templates():
    lines = render_lines({"meilisearch_index_docs_count": [
        ("meilisearch_index_docs_count", (("index", 'a"b\\c\nd'),), 3)]})
    assert lines[2] == 'meilisearch_index_docs_count{index="a\\"b\\\\c\\nd"} 3'
    assert route_template(("indexes", "{index_uid}", "documents")) == "/indexes/{index_uid}/documents"
    assert route_template(()) == "/"



def test_bucket_bounds_are_inclusive():
    registry = MetricsRegistry()
    registry.record("GET", "/health", 200, 0.005)
    registry.record("GET", "/health", 200, 10.0)
    lines = [l for l in registry.render_traffic() if "_bucket" in l]
    assert lines[0] == 'meilisearch_http_response_time_seconds_bucket{method="GET",path="/health",le="0.005"} 1'
    assert lines[-2] == 'meilisearch_http_response_time_seconds_bucket{method="GET",path="/health",le="10"} 2'
