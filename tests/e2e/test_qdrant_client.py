"""The Qdrant-style API under /qdrant with the official `qdrant-client` against a real `loupe`
process (seed qdrant-search.md, issue 18 §1).  Every expected answer is computed here from the
points the test writes: scores with numpy, filters with plain Python predicates.

Properties:
1. Collections: unnamed and named vectors with Cosine/Dot/Euclid/Manhattan round-trip through
   create/get/exists/list/delete; a collection is a Loupe index (`qdrant_{name}` in GET /indexes).
2. Upsert with wait: `version` is the writing operation, Cosine vectors come back normalised.
3. Query API (vector, point id, nearest, recommend), batch and groups; scores are Qdrant's (raw
   cosine, dot, Euclid and Manhattan distances), score_threshold, offset, limit, `using`.
4. Filters: match value/any/except, range, nested keys, arrays, nested, has_id, is_empty, is_null,
   must/should/must_not, values_count; keyword matches are exact (case-sensitive).
5. with_payload (bool, list, include, exclude, nested paths) and with_vectors (bool, names).
6. Recommend: average_vector and best_score (with negative-only), example ids excluded.
7. The seed's routes (search, search/batch, recommend, recommend/batch, search/groups,
   recommend/groups) answer Qdrant's envelope; errors are `{"status": {"error"}, "time"}`.
8. `api-key` carries Loupe keys: actions and index patterns apply.
9. A filtered search over 2,500 points (the engine's ANN plan) equals brute force.
"""
import math

import httpx
import numpy as np
import pytest
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import UnexpectedResponse

from support import LoupeProcess

RNG = np.random.default_rng(18)

POINTS = [
    {"id": 1, "vector": [1.0, 0.0, 0.0], "payload": {"city": "London", "price": 10, "tags": ["a", "b"],
                                                      "country": {"name": "UK", "code": 44}, "ok": True,
                                                      "reviews": [{"user": "ann", "stars": 5}, {"user": "bob", "stars": 1}]}},
    {"id": 2, "vector": [0.8, 0.6, 0.0], "payload": {"city": "london", "price": 20.5, "tags": ["b"],
                                                      "country": {"name": "UK", "code": 44}, "ok": False,
                                                      "reviews": [{"user": "ann", "stars": 1}, {"user": "bob", "stars": 5}]}},
    {"id": 3, "vector": [0.0, 1.0, 0.0], "payload": {"city": "Paris", "price": 30, "tags": [],
                                                      "country": {"name": "FR", "code": 33}, "note": None}},
    {"id": 4, "vector": [0.0, 0.6, 0.8], "payload": {"city": "Berlin", "price": 5, "tags": ["c", "a"],
                                                      "country": {"name": "DE", "code": 49}}},
    {"id": "0f4e3c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "vector": [-1.0, 0.5, 0.5],
     "payload": {"city": "Paris", "price": 15, "tags": ["a"], "country": {"name": "FR", "code": 33}}},
    {"id": 6, "vector": [0.5, 0.5, 0.70710678], "payload": {"city": "Rome", "tags": ["b", "c"]}},
    {"id": 7, "vector": [2.0, 1.0, -1.0], "payload": {}},
]
PAYLOAD = {p["id"]: p["payload"] for p in POINTS}
VECTORS = {p["id"]: np.asarray(p["vector"]) for p in POINTS}


def cosine(u, v):
    u, v = np.asarray(u, float), np.asarray(v, float)
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


METRICS = {
    "Cosine": (cosine, True),
    "Dot": (lambda u, v: float(np.dot(u, v)), True),
    "Euclid": (lambda u, v: float(np.linalg.norm(np.asarray(u, float) - np.asarray(v, float))), False),
    "Manhattan": (lambda u, v: float(np.abs(np.asarray(u, float) - np.asarray(v, float)).sum()), False),
}


def expected(query, metric="Cosine", keep=lambda pid, payload: True, limit=10, offset=0, threshold=None,
             vectors=VECTORS, payloads=PAYLOAD):
    score, higher = METRICS[metric]
    found = [(pid, score(query, v)) for pid, v in vectors.items() if keep(pid, payloads[pid])]
    if threshold is not None:
        found = [(p, s) for p, s in found if (s >= threshold if higher else s <= threshold)]
    found.sort(key=lambda p: -p[1] if higher else p[1])
    return found[offset:offset + limit]


def check(points, want):
    assert [p.id for p in points] == [pid for pid, _s in want], ([(p.id, p.score) for p in points], want)
    for point, (_pid, score) in zip(points, want):
        assert point.score == pytest.approx(score, abs=1e-4)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = LoupeProcess(tmp_path_factory.mktemp("qdrant") / "db").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def client(server):
    client = QdrantClient(url=server.url + "/qdrant", api_key=server.master_key, https=False, timeout=60)
    for name, metric in (("films", "Cosine"), ("dots", "Dot"), ("euclid", "Euclid"), ("manhattan", "Manhattan")):
        assert client.create_collection(name, vectors_config=models.VectorParams(size=3, distance=metric))
        result = client.upsert(name, points=[models.PointStruct(**p) for p in POINTS], wait=True)
        assert result.status == models.UpdateStatus.COMPLETED
    return client


@pytest.fixture(scope="module")
def raw(server):
    with httpx.Client(base_url=server.url + "/qdrant", headers={"api-key": server.master_key}, timeout=60) as http:
        yield http


# 1 -------------------------------------------------------------------------------------------------

def test_collections(client, server, raw):
    assert client.create_collection("media", vectors_config={
        "image": models.VectorParams(size=2, distance=models.Distance.DOT),
        "text": models.VectorParams(size=3, distance=models.Distance.EUCLID)})
    info = client.get_collection("media")
    assert info.config.params.vectors == {
        "image": models.VectorParams(size=2, distance=models.Distance.DOT),
        "text": models.VectorParams(size=3, distance=models.Distance.EUCLID)}
    assert info.points_count == 0
    films = client.get_collection("films")
    assert films.config.params.vectors == models.VectorParams(size=3, distance=models.Distance.COSINE)
    assert films.points_count == len(POINTS)
    assert client.collection_exists("media") and not client.collection_exists("nothing")
    names = {c.name for c in client.get_collections().collections}
    assert {"films", "dots", "euclid", "manhattan", "media"} <= names
    indexes = httpx.get(server.url + "/indexes?limit=100", headers={"Authorization": f"Bearer {server.master_key}"}).json()
    assert {"qdrant_films", "qdrant_media"} <= {i["uid"] for i in indexes["results"]}
    response = raw.put("/collections/media", json={"vectors": {"size": 2, "distance": "Cosine"}})
    assert response.status_code == 409
    assert response.json()["status"] == {"error": "Wrong input: Collection `media` already exists!"}
    assert client.delete_collection("media") is True
    response = raw.get("/collections/media")
    body = response.json()
    assert response.status_code == 404 and set(body) == {"status", "time"}
    assert body["status"] == {"error": "Not found: Collection `media` doesn't exist!"}
    assert raw.delete("/collections/media").json()["result"] is False
    response = raw.put("/collections/bad", json={"vectors": {"size": 2, "distance": "Hamming"}})
    assert response.status_code == 400 and "distance must be one of" in response.json()["status"]["error"]


# 2 -------------------------------------------------------------------------------------------------

def test_upsert_versions_and_normalisation(client, raw):
    client.create_collection("scratch", vectors_config=models.VectorParams(size=2, distance=models.Distance.COSINE))
    first = client.upsert("scratch", points=[models.PointStruct(id=1, vector=[3.0, 4.0], payload={"n": 1})])
    second = client.upsert("scratch", points=[models.PointStruct(id=2, vector=[0.0, 2.0])])
    assert second.operation_id > first.operation_id
    points = client.query_points("scratch", query=[1.0, 0.0], with_vectors=True).points
    assert [(p.id, p.version, p.vector, p.payload) for p in points] == [
        (1, first.operation_id, [0.6, 0.8], {"n": 1}), (2, second.operation_id, [0.0, 1.0], {})]
    third = client.upsert("scratch", points=models.Batch(ids=[1], vectors=[[0.0, -5.0]], payloads=[{"n": 3}]))
    points = client.query_points("scratch", query=[0.0, -1.0], limit=1).points
    assert (points[0].id, points[0].version, points[0].payload, points[0].score) == (1, third.operation_id, {"n": 3}, 1.0)
    response = raw.put("/collections/scratch/points?wait=true", json={"points": [{"id": 9, "vector": [1, 2, 3]}]})
    assert response.status_code == 400
    assert response.json()["status"]["error"] == "Wrong input: Vector dimension error: expected dim: 2, got 3"
    response = raw.put("/collections/scratch/points", json={"points": [{"id": "nope", "vector": [1, 2]}]})
    assert (response.status_code, response.json()["status"]["error"]) == (400, "Wrong input: Unable to parse UUID: nope")
    response = raw.put("/collections/scratch/points?wait=false", json={"points": [{"id": 5, "vector": [1, 1]}]})
    assert response.json()["result"]["status"] == "acknowledged"
    assert client.retrieve("scratch", ids=[1, 404], with_payload=True)[0].payload == {"n": 3}


# 3 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("collection,metric", [("films", "Cosine"), ("dots", "Dot"), ("euclid", "Euclid"),
                                               ("manhattan", "Manhattan")])
def test_scores_per_distance(client, collection, metric):
    query = [0.3, -0.2, 0.9]
    check(client.query_points(collection, query=query, limit=10).points, expected(query, metric))
    check(client.query_points(collection, query=query, limit=2, offset=3).points,
          expected(query, metric, limit=2, offset=3))
    threshold = {"Cosine": 0.5, "Dot": 0.2, "Euclid": 1.2, "Manhattan": 1.9}[metric]
    check(client.query_points(collection, query=query, score_threshold=threshold).points,
          expected(query, metric, threshold=threshold))


def test_query_by_point_id_and_nearest(client):
    check(client.query_points("films", query=2).points, expected(VECTORS[2], keep=lambda pid, _p: pid != 2))
    check(client.query_points("films", query=models.NearestQuery(nearest=[0, 0, 1]), limit=3).points,
          expected([0, 0, 1], limit=3))
    check(client.query_points("euclid", query=6, limit=3).points,
          expected(VECTORS[6], "Euclid", keep=lambda pid, _p: pid != 6, limit=3))


def test_query_batch(client):
    answers = client.query_batch_points("dots", requests=[
        models.QueryRequest(query=[1, 1, 1], limit=2), models.QueryRequest(query=[0, 0, -1], limit=3)])
    check(answers[0].points, expected([1, 1, 1], "Dot", limit=2))
    check(answers[1].points, expected([0, 0, -1], "Dot", limit=3))


def test_named_vectors_with_using(client):
    client.create_collection("named", vectors_config={
        "image": models.VectorParams(size=2, distance=models.Distance.DOT),
        "text": models.VectorParams(size=3, distance=models.Distance.MANHATTAN)})
    client.upsert("named", points=[
        models.PointStruct(id=1, vector={"image": [1, 2], "text": [1, 0, 0]}, payload={"g": "x"}),
        models.PointStruct(id=2, vector={"image": [3, -1], "text": [0, 0, 1]}, payload={"g": "y"}),
        models.PointStruct(id=3, vector={"text": [1, 1, 1]}, payload={"g": "x"})])
    points = client.query_points("named", query=[1, 1], using="image", with_vectors=["image"]).points
    assert [(p.id, p.score, p.vector) for p in points] == [(1, 3.0, {"image": [1.0, 2.0]}), (2, 2.0, {"image": [3.0, -1.0]})]
    points = client.query_points("named", query=[0, 0, 1], using="text", with_vectors=True).points
    assert [(p.id, p.score) for p in points] == [(2, 0.0), (3, 2.0), (1, 2.0)] or \
        [(p.id, p.score) for p in points] == [(2, 0.0), (1, 2.0), (3, 2.0)]
    assert points[0].vector == {"image": [3.0, -1.0], "text": [0.0, 0.0, 1.0]}
    with pytest.raises(UnexpectedResponse) as refused:
        client.query_points("named", query=[1, 1], using="sound")
    assert refused.value.status_code == 400 and b"Not existing vector name error: sound" in refused.value.content


# 4 -------------------------------------------------------------------------------------------------

F = models.FieldCondition
FILTERS = [
    (models.Filter(must=[F(key="city", match=models.MatchValue(value="London"))]),
     lambda pid, p: p.get("city") == "London"),
    (models.Filter(must=[F(key="city", match=models.MatchValue(value="london"))]),
     lambda pid, p: p.get("city") == "london"),
    (models.Filter(must=[F(key="ok", match=models.MatchValue(value=False))]), lambda pid, p: p.get("ok") is False),
    (models.Filter(must=[F(key="country.code", match=models.MatchValue(value=33))]),
     lambda pid, p: p.get("country", {}).get("code") == 33),
    (models.Filter(must=[F(key="city", match=models.MatchAny(any=["Paris", "Rome"]))]),
     lambda pid, p: p.get("city") in ("Paris", "Rome")),
    (models.Filter(must=[F(key="city", match=models.MatchExcept(**{"except": ["Paris", "London"]}))]),
     lambda pid, p: "city" in p and p["city"] not in ("Paris", "London")),
    (models.Filter(must=[F(key="price", range=models.Range(gte=10, lt=30))]),
     lambda pid, p: isinstance(p.get("price"), (int, float)) and 10 <= p["price"] < 30),
    (models.Filter(must=[F(key="tags[]", match=models.MatchValue(value="a"))]), lambda pid, p: "a" in p.get("tags", [])),
    (models.Filter(must=[F(key="tags", match=models.MatchValue(value="c"))]), lambda pid, p: "c" in p.get("tags", [])),
    (models.Filter(must=[F(key="reviews[].stars", range=models.Range(gte=5))]),
     lambda pid, p: any(r["stars"] >= 5 for r in p.get("reviews", []))),
    (models.Filter(must=[models.NestedCondition(nested=models.Nested(key="reviews", filter=models.Filter(must=[
        F(key="user", match=models.MatchValue(value="ann")), F(key="stars", range=models.Range(gte=5))])))]),
     lambda pid, p: any(r["user"] == "ann" and r["stars"] >= 5 for r in p.get("reviews", []))),
    (models.Filter(must=[models.HasIdCondition(has_id=[1, 3, "0f4e3c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"])]),
     lambda pid, p: pid in (1, 3, "0f4e3c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b")),
    (models.Filter(must_not=[models.HasIdCondition(has_id=[1, 2])]), lambda pid, p: pid not in (1, 2)),
    (models.Filter(must_not=[F(key="city", match=models.MatchValue(value="Paris"))]),
     lambda pid, p: p.get("city") != "Paris"),
    (models.Filter(should=[F(key="city", match=models.MatchValue(value="Rome")),
                           F(key="price", range=models.Range(lte=5))]),
     lambda pid, p: p.get("city") == "Rome" or p.get("price", 99) <= 5),
    (models.Filter(must=[models.IsEmptyCondition(is_empty=models.PayloadField(key="tags"))]),
     lambda pid, p: not p.get("tags")),
    (models.Filter(must=[models.IsNullCondition(is_null=models.PayloadField(key="note"))]),
     lambda pid, p: "note" in p and p["note"] is None),
    (models.Filter(must=[F(key="tags", values_count=models.ValuesCount(gte=2))]),
     lambda pid, p: len(p.get("tags", [])) >= 2),
    (models.Filter(min_should=models.MinShould(min_count=2, conditions=[
        F(key="tags", match=models.MatchValue(value="a")), F(key="tags", match=models.MatchValue(value="b")),
        F(key="city", match=models.MatchValue(value="Rome"))])),
     lambda pid, p: sum(["a" in p.get("tags", []), "b" in p.get("tags", []), p.get("city") == "Rome"]) >= 2),
    (models.Filter(must=[F(key="country.name", match=models.MatchValue(value="UK"))],
                   must_not=[F(key="ok", match=models.MatchValue(value=False))]),
     lambda pid, p: p.get("country", {}).get("name") == "UK" and p.get("ok") is not False),
    (models.Filter(must_not=[F(key="city", match=models.MatchAny(any=["Paris", "london"]))]),
     lambda pid, p: p.get("city") not in ("Paris", "london")),
    (models.Filter(must=[F(key="tags", match=models.MatchExcept(**{"except": ["a"]}))]),
     lambda pid, p: any(t != "a" for t in p.get("tags", []))),
    (models.Filter(must=[F(key="country.code", match=models.MatchExcept(**{"except": [44]}))]),
     lambda pid, p: "country" in p and p["country"]["code"] != 44),
    (models.Filter(must=[F(key="country.code", range=models.Range(gt=33, lte=49))]),
     lambda pid, p: "country" in p and 33 < p["country"]["code"] <= 49),
    (models.Filter(must_not=[F(key="price", range=models.Range(gte=15))]),
     lambda pid, p: not (isinstance(p.get("price"), (int, float)) and p["price"] >= 15)),
    (models.Filter(should=[models.HasIdCondition(has_id=[7]), F(key="country.name", match=models.MatchValue(value="FR"))]),
     lambda pid, p: pid == 7 or p.get("country", {}).get("name") == "FR"),
    (models.Filter(must=[models.Filter(should=[F(key="city", match=models.MatchValue(value="Rome")),
                                               F(key="city", match=models.MatchValue(value="Berlin"))])],
                   must_not=[models.HasIdCondition(has_id=[4])]),
     lambda pid, p: p.get("city") in ("Rome", "Berlin") and pid != 4),
    (models.Filter(must=[F(key="reviews[].user", match=models.MatchAny(any=["bob"])),
                         F(key="reviews[].stars", range=models.Range(lt=2))]),
     lambda pid, p: any(r["user"] == "bob" for r in p.get("reviews", [])) and any(r["stars"] < 2 for r in p.get("reviews", []))),
]


@pytest.mark.parametrize("n", range(len(FILTERS)))
def test_filters(client, n):
    query_filter, keep = FILTERS[n]
    for collection, metric in (("films", "Cosine"), ("euclid", "Euclid")):
        points = client.query_points(collection, query=[0.2, 0.4, 0.6], query_filter=query_filter).points
        check(points, expected([0.2, 0.4, 0.6], metric, keep=keep))


# 5 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("selector,shown", [
    (True, lambda p: p),
    (False, lambda p: None),
    (["city", "country.code"], lambda p: {k: v for k, v in {
        "city": p.get("city"), "country": {"code": p["country"]["code"]} if "country" in p else None}.items()
        if v is not None}),
    (models.PayloadSelectorInclude(include=["reviews[].user"]),
     lambda p: {"reviews": [{"user": r["user"]} for r in p["reviews"]]} if "reviews" in p else {}),
    (models.PayloadSelectorExclude(exclude=["country.name", "tags", "reviews"]),
     lambda p: {k: ({"code": v["code"]} if k == "country" else v) for k, v in p.items() if k not in ("tags", "reviews")}),
    (models.PayloadSelectorExclude(exclude=["reviews[].stars", "country", "nothing.here"]),
     lambda p: {k: ([{"user": r["user"]} for r in v] if k == "reviews" else v) for k, v in p.items() if k != "country"}),
    (models.PayloadSelectorInclude(include=["country", "reviews[].stars", "nothing"]),
     lambda p: {k: ([{"stars": r["stars"]} for r in v] if k == "reviews" else v) for k, v in p.items()
                if k in ("country", "reviews")}),
    (["note", "ok"], lambda p: {k: v for k, v in p.items() if k in ("note", "ok")}),
])
def test_with_payload(client, selector, shown):
    points = client.query_points("films", query=[1, 0, 0], with_payload=selector, limit=10).points
    assert len(points) == len(POINTS)
    for point in points:
        want = shown(PAYLOAD[point.id])
        assert point.payload == want, (point.id, point.payload, want)


def test_with_vectors(client):
    points = client.query_points("dots", query=[1, 0, 0], with_vectors=True, with_payload=False, limit=2).points
    assert [(p.id, p.vector, p.payload) for p in points] == [(7, [2.0, 1.0, -1.0], None), (1, [1.0, 0.0, 0.0], None)]
    normalised = client.query_points("films", query=[1, 0, 0], with_vectors=True, limit=10).points
    for point in normalised:
        v = VECTORS[point.id]
        assert point.vector == pytest.approx(list(v / np.linalg.norm(v)), abs=1e-6)


# 6 -------------------------------------------------------------------------------------------------

def _average(positive, negative):
    pos = np.mean([VECTORS[x] if not isinstance(x, list) else np.asarray(x) for x in positive], axis=0)
    if not negative:
        return pos
    neg = np.mean([VECTORS[x] if not isinstance(x, list) else np.asarray(x) for x in negative], axis=0)
    return pos + pos - neg


def _normalised(x):
    x = np.asarray(x, float)
    return x / np.linalg.norm(x)


@pytest.mark.parametrize("collection,metric", [("films", "Cosine"), ("dots", "Dot"), ("euclid", "Euclid")])
def test_recommend_average_vector(client, collection, metric):
    stored = {pid: (_normalised(v) if metric == "Cosine" else v) for pid, v in VECTORS.items()}
    for positive, negative in (([1], []), ([1, 4], [3]), ([[0.0, 0.0, 1.0]], [2, [1.0, 1.0, 0.0]])):
        average = _average([x if isinstance(x, list) else list(stored[x]) for x in positive],
                           [x if isinstance(x, list) else list(stored[x]) for x in negative])
        examples = {x for x in positive + negative if not isinstance(x, list)}
        points = client.query_points(collection, query=models.RecommendQuery(recommend=models.RecommendInput(
            positive=positive, negative=negative, strategy=models.RecommendStrategy.AVERAGE_VECTOR)), limit=4).points
        check(points, expected(list(average), metric, keep=lambda pid, _p: pid not in examples, limit=4,
                               vectors=stored))


def _best_score(candidate, positive, negative, similarity):
    best_p = max((similarity(candidate, p) for p in positive), default=-math.inf)
    best_n = max((similarity(candidate, n) for n in negative), default=-math.inf)
    return best_p if best_p > best_n else -(best_n * best_n)


def best_score_ranking(positive, negative, threshold=-math.inf):
    """The films (Cosine) points by best_score, example ids left out, scores at least ``threshold``."""
    stored = {pid: _normalised(v) for pid, v in VECTORS.items()}
    ex_p = [stored[x] for x in positive]
    ex_n = [stored[x] if not isinstance(x, list) else _normalised(x) for x in negative]
    examples = {x for x in positive + negative if not isinstance(x, list)}
    scored = ((pid, _best_score(v, ex_p, ex_n, lambda a, b: float(a @ b))) for pid, v in stored.items()
              if pid not in examples)
    return sorted(((pid, s) for pid, s in scored if s >= threshold), key=lambda p: -p[1])


@pytest.mark.parametrize("positive,negative", [([1], [3]), ([2, 4], [1]), ([], [1]), ([], [3, [0.0, 0.0, 1.0]])])
def test_recommend_best_score(client, positive, negative):
    want = best_score_ranking(positive, negative)
    points = client.query_points("films", query=models.RecommendQuery(recommend=models.RecommendInput(
        positive=positive, negative=negative, strategy=models.RecommendStrategy.BEST_SCORE)), limit=10).points
    check(points, want)


# 7 -------------------------------------------------------------------------------------------------

def test_groups_with_lookup(client):
    client.create_collection("countries", vectors_config=models.VectorParams(size=1, distance=models.Distance.DOT))
    client.upsert("countries", points=[models.PointStruct(id=44, vector=[1], payload={"label": "United Kingdom"}),
                                       models.PointStruct(id=33, vector=[1], payload={"label": "France"})])
    query = [0.1, 0.9, 0.2]
    result = client.query_points_groups("films", query=query, group_by="country.code", group_size=2, limit=2,
                                        with_lookup=models.WithLookup(collection="countries", with_payload=True))
    ranked = expected(query)
    groups = {}
    for pid, score in ranked:
        code = PAYLOAD[pid].get("country", {}).get("code")
        if code is None:
            continue
        if code in groups:
            if len(groups[code]) < 2:
                groups[code].append((pid, score))
        elif len(groups) < 2:
            groups[code] = [(pid, score)]
    assert [g.id for g in result.groups] == list(groups)
    for group in result.groups:
        check(group.hits, groups[group.id])
        label = {44: "United Kingdom", 33: "France"}.get(group.id)
        assert (group.lookup.payload if group.lookup else None) == ({"label": label} if label else None)
    tags = client.query_points_groups("films", query=query, group_by="tags", group_size=1, limit=10)
    first_by_tag = {}
    for pid, score in ranked:
        for tag in PAYLOAD[pid].get("tags", []):
            first_by_tag.setdefault(tag, (pid, score))
    assert [(g.id, g.hits[0].id) for g in tags.groups] == [(t, p) for t, (p, _s) in first_by_tag.items()]


# 7b: the seed's routes --------------------------------------------------------------------------

def _envelope(response, status=200):
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"result", "status", "time"} and body["status"] == "ok" and body["time"] >= 0
    return body["result"]


def test_seed_search_routes(client, raw):
    filter_ = {"must": [{"key": "city", "match": {"value": "Paris"}}]}
    result = _envelope(raw.post("/collections/films/points/search",
                                json={"vector": [0.2, 0.1, 0.9], "limit": 3, "filter": filter_,
                                      "params": {"hnsw_ef": 128, "exact": False}}))
    want = expected([0.2, 0.1, 0.9], keep=lambda pid, p: p.get("city") == "Paris", limit=3)
    assert [r["id"] for r in result] == [pid for pid, _s in want]
    assert set(result[0]) == {"id", "version", "score"}
    assert result[0]["score"] == pytest.approx(want[0][1], abs=1e-4)
    result = _envelope(raw.post("/collections/films/points/search/batch", json={"searches": [
        {"vector": [0.2, 0.1, 0.9], "limit": 1}, {"vector": [0.5, 0.3, 0.2], "limit": 2, "with_payload": ["city"]}]}))
    assert [[r["id"] for r in one] for one in result] == [
        [p for p, _s in expected([0.2, 0.1, 0.9], limit=1)], [p for p, _s in expected([0.5, 0.3, 0.2], limit=2)]]
    assert result[1][0]["payload"] == {"city": PAYLOAD[result[1][0]["id"]]["city"]}
    result = _envelope(raw.post("/collections/films/points/recommend",
                                json={"positive": [1], "negative": [[0.0, 0.0, 1.0]], "limit": 3,
                                      "strategy": "average_vector"}))
    average = _average([list(_normalised(VECTORS[1]))], [[0.0, 0.0, 1.0]])
    assert [r["id"] for r in result] == [p for p, _s in expected(list(average), keep=lambda pid, _p: pid != 1, limit=3)]
    result = _envelope(raw.post("/collections/films/points/recommend/batch", json={"searches": [
        {"positive": [3], "limit": 2}, {"positive": [1], "negative": [2], "strategy": "best_score", "limit": 1}]}))
    assert [r["id"] for r in result[0]] == [p for p, _s in expected(VECTORS[3], keep=lambda pid, _p: pid != 3, limit=2)]
    assert len(result[1]) == 1
    result = _envelope(raw.post("/collections/films/points/search/groups",
                                json={"vector": [1, 0, 0], "group_by": "city", "group_size": 1, "limit": 2}))
    assert set(result) == {"groups"} and [g["id"] for g in result["groups"]] == ["London", "london"]
    result = _envelope(raw.post("/collections/films/points/recommend/groups",
                                json={"positive": [4], "group_by": "city", "group_size": 2, "limit": 1}))
    best = expected(VECTORS[4], keep=lambda pid, _p: pid != 4)[0][0]
    assert [g["id"] for g in result["groups"]] == [PAYLOAD[best]["city"]] == ["Rome"]
    assert [h["id"] for h in result["groups"][0]["hits"]] == [6]
    result = _envelope(raw.post("/collections/films/points/query/groups",
                                json={"query": [1, 0, 0], "group_by": "city", "limit": 1}))
    assert [[h["id"] for h in g["hits"]] for g in result["groups"]] == [[1]]


@pytest.mark.parametrize("path,body,status,message", [
    ("/collections/films/points/search", {"vector": [1, 0], "limit": 1}, 400,
     "Wrong input: Vector dimension error: expected dim: 3, got 2"),
    ("/collections/films/points/search", {"vector": [1, 0, 0]}, 400, "Wrong input: Format error in JSON body: missing field `limit`"),
    ("/collections/nowhere/points/search", {"vector": [1, 0, 0], "limit": 1}, 404,
     "Not found: Collection `nowhere` doesn't exist!"),
    ("/collections/films/points/recommend", {"positive": [999], "limit": 1}, 404, "Not found: No point with id 999 found"),
    ("/collections/films/points/recommend", {"negative": [1], "limit": 1}, 400,
     "Wrong input: Positive vectors should not be empty with `average` strategy"),
    ("/collections/films/points/query", {"query": {"fusion": "rrf"}}, 400,
     "Wrong input: query `fusion` is not supported by Loupe (vectors, point ids, nearest and recommend are)"),
    ("/collections/films/points/query", {"query": [1, 0, 0], "filter": {"must": [{"key": "x", "match": {"value": 1.5}}]}},
     400, "Wrong input: Format error in JSON body: `match.value` must be a string, an integer or a boolean"),
])
def test_error_shapes(client, raw, path, body, status, message):
    response = raw.post(path, json=body)
    assert response.status_code == status
    payload = response.json()
    assert set(payload) == {"status", "time"} and payload["status"] == {"error": message}


# 8 -------------------------------------------------------------------------------------------------

def test_api_keys(server, client):
    anonymous = httpx.post(server.url + "/qdrant/collections/films/points/query", json={"query": [1, 0, 0]})
    assert anonymous.status_code == 401
    assert anonymous.json()["status"]["error"] == \
        "The Authorization header is missing. It must use the bearer authorization method."
    wrong = httpx.post(server.url + "/qdrant/collections/films/points/query", json={"query": [1, 0, 0]},
                       headers={"api-key": "nope"})
    assert (wrong.status_code, wrong.json()["status"]["error"]) == (403, "The provided API key is invalid.")
    meili = server.client()
    key = meili.create_key({"actions": ["search", "indexes.get"], "indexes": ["qdrant_films"], "expiresAt": None})
    limited = QdrantClient(url=server.url + "/qdrant", api_key=key.key, https=False)
    check(limited.query_points("films", query=[1, 0, 0], limit=2).points, expected([1, 0, 0], limit=2))
    assert [c.name for c in limited.get_collections().collections] == ["films"]
    with pytest.raises(UnexpectedResponse) as refused:
        limited.query_points("dots", query=[1, 0, 0])
    assert refused.value.status_code == 403
    with pytest.raises(UnexpectedResponse) as refused:
        limited.create_collection("mine", vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    assert refused.value.status_code == 403


# 9 -------------------------------------------------------------------------------------------------

def test_large_filtered_collection_equals_brute_force(client):
    n, dims = 2500, 8
    vectors = RNG.normal(size=(n, dims)).astype(np.float32)
    labels = ["Even" if i % 2 == 0 else ("even" if i % 3 == 0 else "odd") for i in range(n)]
    client.create_collection("large", vectors_config=models.VectorParams(size=dims, distance=models.Distance.COSINE))
    client.upsert("large", points=models.Batch(ids=list(range(n)), vectors=vectors.tolist(),
                                               payloads=[{"label": label, "rank": i} for i, label in enumerate(labels)]))
    payloads = {i: {"label": labels[i], "rank": i} for i in range(n)}
    stored = {i: vectors[i] for i in range(n)}
    for _ in range(3):
        query = RNG.normal(size=dims).tolist()
        for keep, query_filter in (
                (lambda pid, p: True, None),
                (lambda pid, p: p["label"] == "even",
                 models.Filter(must=[F(key="label", match=models.MatchValue(value="even"))])),
                (lambda pid, p: p["label"] != "Even" and p["rank"] < 2000,
                 models.Filter(must_not=[F(key="label", match=models.MatchValue(value="Even"))],
                               must=[F(key="rank", range=models.Range(lt=2000))]))):
            points = client.query_points("large", query=query, query_filter=query_filter, limit=15, offset=5).points
            check(points, expected(query, keep=keep, limit=15, offset=5, vectors=stored, payloads=payloads))


def test_tenant_token_filter(server, client):
    """A tenant token's rule filter (Loupe syntax on the point's `payload.*`) narrows every search,
    and an example point outside it is not found."""
    meili = server.client()
    key = meili.create_key({"actions": ["search"], "indexes": ["qdrant_*"], "expiresAt": None})
    token = meili.generate_tenant_token(key.uid, {"qdrant_films": {"filter": "payload.city = paris"}}, api_key=key.key)
    tenant = QdrantClient(url=server.url + "/qdrant", api_key=token, https=False)
    paris = lambda pid, p: p.get("city", "").lower() == "paris"  # noqa: E731 - Loupe's filters fold case
    check(tenant.query_points("films", query=[1, 0, 0]).points, expected([1, 0, 0], keep=paris))
    check(tenant.query_points("films", query=3).points, expected(VECTORS[3], keep=lambda pid, p: paris(pid, p) and pid != 3))
    with pytest.raises(UnexpectedResponse) as hidden:
        tenant.query_points("films", query=1)
    assert hidden.value.status_code == 404 and b"No point with id 1 found" in hidden.value.content
    with pytest.raises(UnexpectedResponse) as refused:
        tenant.query_points("dots", query=[1, 0, 0])
    assert refused.value.status_code == 403


# 10: audit additions -------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [models.SearchParams(exact=True), models.SearchParams(hnsw_ef=4, exact=False),
                                    models.SearchParams(indexed_only=True), models.SearchParams(hnsw_ef=512)])
def test_search_params_change_nothing(client, params):
    """params exact / hnsw_ef / indexed_only are accepted and the answer is the exact one (the
    engine rescores its ANN candidates exactly; every written point is indexed)."""
    query = [0.3, -0.2, 0.9]
    check(client.query_points("films", query=query, search_params=params, limit=4).points, expected(query, limit=4))
    keep = lambda pid, p: p.get("city") == "Paris"  # noqa: E731
    check(client.query_points("euclid", query=query, search_params=params, query_filter=models.Filter(
        must=[F(key="city", match=models.MatchValue(value="Paris"))])).points, expected(query, "Euclid", keep=keep))


@pytest.mark.parametrize("positive,negative,threshold", [([1], [3], 0.5), ([2, 4], [1], 0.7), ([], [1], -0.3),
                                                         ([], [3, [0.0, 0.0, 1.0]], -0.5)])
def test_recommend_best_score_threshold(client, positive, negative, threshold):
    """score_threshold applies to best_score's own scores (negative-only ones are −(n·n) ≤ 0)."""
    want = best_score_ranking(positive, negative, threshold)
    assert want, "the threshold should keep something"
    points = client.query_points("films", query=models.RecommendQuery(recommend=models.RecommendInput(
        positive=positive, negative=negative, strategy=models.RecommendStrategy.BEST_SCORE)),
        score_threshold=threshold, limit=10).points
    check(points, want)


def test_recommend_average_vector_threshold_euclid(client):
    """With Euclid, score_threshold keeps distances at most the threshold."""
    average = _average([1, 4], [3])
    want = expected(list(average), "Euclid", keep=lambda pid, _p: pid not in (1, 3, 4), threshold=1.5)
    assert want and len(want) < len(POINTS) - 3
    points = client.query_points("euclid", query=models.RecommendQuery(recommend=models.RecommendInput(
        positive=[1, 4], negative=[3])), score_threshold=1.5).points
    check(points, want)


def _labels(client):
    """The lookup collection of the groups tests: country codes to labels."""
    if not client.collection_exists("labels"):
        client.create_collection("labels", vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
        client.upsert("labels", points=[
            models.PointStruct(id=44, vector=[1, 2], payload={"label": "United Kingdom", "iso": "GB"}),
            models.PointStruct(id=33, vector=[3, 4], payload={"label": "France", "iso": "FR"})])


def test_groups_lookup_defaults_and_selectors(client):
    """with_lookup: a collection name brings the whole payload and the vector (the seed: both true
    by default); with_payload / with_vectors select."""
    _labels(client)
    stored = {44: ({"label": "United Kingdom", "iso": "GB"}, [1.0, 2.0]), 33: ({"label": "France", "iso": "FR"}, [3.0, 4.0])}
    for lookup, shown in (("labels", lambda p, v: (p, v)),
                          (models.WithLookup(collection="labels"), lambda p, v: (p, v)),
                          (models.WithLookup(collection="labels", with_payload=["iso"], with_vectors=False),
                           lambda p, v: ({"iso": p["iso"]}, None)),
                          (models.WithLookup(collection="labels", with_payload=False), lambda p, v: (None, v))):
        result = client.query_points_groups("films", query=[0.1, 0.9, 0.2], group_by="country.code", group_size=1,
                                            limit=3, with_lookup=lookup)
        assert {g.id for g in result.groups} == {44, 33, 49}
        for group in result.groups:
            if group.id in stored:
                assert (group.lookup.id, group.lookup.payload, group.lookup.vector) == (group.id, *shown(*stored[group.id]))
            else:
                assert group.lookup is None


def test_version_on_every_scored_point(client, raw):
    """Every scored point (search, recommend, batch, groups) carries the version that wrote it."""
    versions = {p.id: p.version for p in client.query_points("films", query=[1, 0, 0], limit=10).points}
    assert len(versions) == len(POINTS) and all(isinstance(v, int) and v > 0 for v in versions.values())
    bodies = [("/points/search", {"vector": [1, 0, 0], "limit": 10}),
              ("/points/recommend", {"positive": [1], "limit": 10, "strategy": "best_score"}),
              ("/points/query", {"query": {"recommend": {"positive": [2], "negative": [3]}}})]
    for path, body in bodies:
        result = _envelope(raw.post("/collections/films" + path, json=body))
        points = result["points"] if isinstance(result, dict) else result
        assert points and all(p["version"] == versions[p["id"]] for p in points)
    result = _envelope(raw.post("/collections/films/points/search/batch", json={"searches": [
        {"vector": [0, 1, 0], "limit": 3}]}))
    assert all(p["version"] == versions[p["id"]] for p in result[0])
    result = _envelope(raw.post("/collections/films/points/recommend/groups",
                                json={"positive": [1], "group_by": "city", "group_size": 2, "limit": 3}))
    hits = [h for g in result["groups"] for h in g["hits"]]
    assert hits and all(set(h) == {"id", "version", "score"} and h["version"] == versions[h["id"]] for h in hits)


def test_seed_search_named_vector_offset_and_threshold(client, raw):
    """/points/search with {"name", "vector"}, offset and score_threshold, with_vector."""
    if not client.collection_exists("named2"):
        client.create_collection("named2", vectors_config={
            "image": models.VectorParams(size=2, distance=models.Distance.EUCLID),
            "text": models.VectorParams(size=2, distance=models.Distance.COSINE)})
        client.upsert("named2", points=[models.PointStruct(id=i, vector={"image": [i, -i], "text": [1, i]})
                                        for i in range(1, 7)])
    image = {i: np.asarray([i, -i], float) for i in range(1, 7)}
    payloads = {i: {} for i in range(1, 7)}
    result = _envelope(raw.post("/collections/named2/points/search", json={
        "vector": {"name": "image", "vector": [2.5, -2.0]}, "limit": 2, "offset": 1, "score_threshold": 3.0,
        "with_vector": ["image"]}))
    want = expected([2.5, -2.0], "Euclid", limit=2, offset=1, threshold=3.0, vectors=image, payloads=payloads)
    assert [(r["id"], r["vector"]) for r in result] == [(pid, {"image": list(image[pid])}) for pid, _s in want]
    for r, (_pid, score) in zip(result, want):
        assert r["score"] == pytest.approx(score, abs=1e-4)
    text = {i: np.asarray([1, i], float) for i in range(1, 7)}
    result = _envelope(raw.post("/collections/named2/points/search", json={
        "vector": {"name": "text", "vector": [1, 3]}, "limit": 3, "score_threshold": 0.99}))
    want = expected([1, 3], limit=3, threshold=0.99, vectors=text, payloads=payloads)
    assert [(r["id"], round(r["score"], 4)) for r in result] == [(p, round(s, 4)) for p, s in want]


@pytest.mark.parametrize("method,path,body,status,message", [
    ("post", "/collections/films/points/query", {"query": {"recommend": {"negative": [1]}}}, 400,
     "Wrong input: Positive vectors should not be empty with `average` strategy"),
    ("post", "/collections/films/points/query", {"query": {"recommend": {"positive": [], "negative": [],
                                                                         "strategy": "best_score"}}}, 400,
     "Wrong input: At least one positive or negative example is required"),
    ("post", "/collections/films/points/query/groups", {"query": [1, 0, 0], "group_by": "city", "offset": 2}, 400,
     "Wrong input: Format error in JSON body: `offset` is not allowed with groups"),
    ("post", "/collections/films/points/search/groups", {"vector": [1, 0, 0], "limit": 2}, 400,
     "Wrong input: Format error in JSON body: missing field `group_by`"),
    ("post", "/collections/films/points/query", {"query": [1, 0, 0], "params": {"exact": "yes"}}, 400,
     "Wrong input: Format error in JSON body: `params.exact` must be a boolean"),
    ("post", "/collections/films/points/query", {"query": [1, 0, 0], "params": {"hnsw_ef": -1}}, 400,
     "Wrong input: Format error in JSON body: `params.hnsw_ef` must be an unsigned integer"),
    ("post", "/collections/films/points/query", {"query": [1, 0, 0], "params": {"indexed_only": 1}}, 400,
     "Wrong input: Format error in JSON body: `params.indexed_only` must be a boolean"),
    ("post", "/collections/films/points/query", {"query": [1, 0, 0], "score_threshold": "high"}, 400,
     "Wrong input: Format error in JSON body: `score_threshold` must be a number"),
    ("post", "/collections/films/points/query", {"query": [1, 0, 0], "with_payload": 3}, 400,
     ("Wrong input: Format error in JSON body: `with_payload` must be a boolean, an array of paths, "
      "{\"include\": […]} or {\"exclude\": […]}")),
    ("post", "/collections/films/points/query", {"query": [1, 0, 0], "offset": -1}, 400,
     "Wrong input: Validation error in JSON body: [offset: value -1 invalid, must be an integer of at least 0]"),
    ("post", "/collections/films/points/query", {"query": [1, 0, 0], "filter": {"must": [{"has_id": "1"}]}}, 400,
     "Wrong input: Format error in JSON body: `has_id` must be an array of point ids"),
    ("post", "/collections/films/points/recommend", {"positive": [1], "limit": 1, "strategy": "median"}, 400,
     "Wrong input: Format error in JSON body: unknown recommend strategy `median`"),
    ("get", "/collections/films/points/404", None, 404, "Not found: No point with id 404 found"),
    ("get", "/collections/films/nothing", None, 404, "Not found: Unknown route."),
    ("delete", "/collections/films/points/search", None, 405, "Method Not Allowed"),
])
def test_more_error_shapes(client, raw, method, path, body, status, message):
    response = raw.request(method.upper(), path, json=body)
    assert response.status_code == status
    assert response.json() == {"status": {"error": message}, "time": response.json()["time"]}


def test_malformed_json_error_shape(client, raw):
    response = raw.post("/collections/films/points/query", content=b"{\"query\": [1, 0",
                        headers={"Content-Type": "application/json"})
    body = response.json()
    assert response.status_code == 400 and set(body) == {"status", "time"} and set(body["status"]) == {"error"}


def test_groups_lookup_obeys_keys_and_tenant_tokens(server, client):
    """with_lookup reads another collection: a key must see it (else 403), and a tenant token's
    filter on it hides the points it hides."""
    _labels(client)
    meili = server.client()
    films_only = meili.create_key({"actions": ["search"], "indexes": ["qdrant_films"], "expiresAt": None})
    limited = QdrantClient(url=server.url + "/qdrant", api_key=films_only.key, https=False)
    assert limited.query_points_groups("films", query=[1, 0, 0], group_by="country.code", limit=2).groups
    with pytest.raises(UnexpectedResponse) as refused:
        limited.query_points_groups("films", query=[1, 0, 0], group_by="country.code", limit=2, with_lookup="labels")
    assert refused.value.status_code == 403
    assert b"The provided API key is invalid." in refused.value.content
    key = meili.create_key({"actions": ["search"], "indexes": ["qdrant_films", "qdrant_labels"], "expiresAt": None})
    token = meili.generate_tenant_token(key.uid, {"qdrant_films": {}, "qdrant_labels": {"filter": "payload.iso = FR"}},
                                        api_key=key.key)
    tenant = QdrantClient(url=server.url + "/qdrant", api_key=token, https=False)
    result = tenant.query_points_groups("films", query=[0.1, 0.9, 0.2], group_by="country.code", group_size=1,
                                        limit=3, with_lookup="labels")
    lookups = {g.id: (g.lookup.payload if g.lookup else None) for g in result.groups}
    assert lookups == {44: None, 33: {"label": "France", "iso": "FR"}, 49: None}
