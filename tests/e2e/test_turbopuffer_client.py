"""The turbopuffer-style API under /tpuf with the official `turbopuffer` client against a real
`loupe` process (seed turbopuffer-query.md, issue 18 §2).  Expected answers are computed here
from the rows the test writes: distances with numpy, BM25 with the formula of the docs
(k1 1.2, b 0.75, lower-cased words, English stop words removed), filters with Python predicates.

Properties:
1. Writes answer once searchable; upserting an id replaces it; deletes and delete_by_filter remove.
2. ANN: $dist is 1 − cos (cosine_distance) or the squared distance (euclidean_squared), nearest
   first; vectors in and out as JSON arrays or base64 float32.
3. BM25 on full_text_search attributes: single clauses, Sum/Max/Product, filters scoring 1,
   last_as_prefix; rows scoring 0 are left out; filters narrow.
4. Order by attribute (asc/desc, rows without it last), lookups by id, limit.per.
5. The filter language (And/Or/Not, Eq/NotEq with null, In/NotIn, comparisons, globs, Regex,
   token filters, Contains*, Any*).
6. include_attributes / exclude_attributes; aggregations (Count, Sum, group_by); multi-queries;
   billing and performance objects.
7. Errors `{"status": "error", "error"}` with 400/404; Bearer keys' actions and index patterns.
"""
import base64
import math
import re
from collections import Counter

import httpx
import numpy as np
import pytest
import turbopuffer

from support import LoupeProcess

STOP = set("a an and are as at be but by for if in into is it no not of on or such that the their then there these "
           "they this to was will with".split())

ROWS = [
    {"id": 1, "vector": [1.0, 0.0, 0.0], "title": "The quick brown fox", "body": "A fox jumps over the lazy dog",
     "color": "red", "size": "S", "price": 10, "tags": ["a", "b"], "public": True, "scores": [1, 5]},
    {"id": 2, "vector": [0.6, 0.8, 0.0], "title": "Lazy dogs sleep", "body": "the dog sleeps all day, a lazy dog",
     "color": "blue", "size": "M", "price": 25.5, "tags": ["b"], "public": False, "scores": [2]},
    {"id": 3, "vector": [0.0, 0.0, 1.0], "title": "Foxes and hounds", "body": "hounds chase the quick fox foxes",
     "color": "Red", "size": "S", "price": 7, "tags": [], "scores": [9, 9]},
    {"id": 4, "vector": [0.5, 0.5, 0.5], "title": "Whale facts", "body": "the blue whale is huge",
     "color": "blue", "price": 40, "tags": ["c"], "public": True, "species": "whale"},
    {"id": "doc-5", "vector": [-1.0, 1.0, 0.0], "title": "walrus is lazy", "body": "a lazy walrus naps",
     "color": "green", "size": "L", "price": 3, "tags": ["a", "c"], "public": True, "species": "walrus"},
]
BY_ID = {r["id"]: r for r in ROWS}
FTS = {"title": {"type": "string", "full_text_search": True}, "body": {"type": "string", "full_text_search": True}}


def words(text):
    return [w for w in re.findall(r"[^\W_]+", text.lower()) if w not in STOP]


def bm25(attribute, query, prefix=False):
    docs = {r["id"]: Counter(words(r[attribute])) for r in ROWS if isinstance(r.get(attribute), str)}
    lengths = {d: sum(c.values()) for d, c in docs.items()}
    avgdl = sum(lengths.values()) / len(lengths)
    terms = list(dict.fromkeys(words(query)))
    last = terms.pop() if prefix and terms else None
    out = {}
    for d, counts in docs.items():
        score = 0.0
        for t in terms:
            n = sum(1 for c in docs.values() if t in c)
            if counts[t]:
                idf = math.log(1 + (len(docs) - n + 0.5) / (n + 0.5))
                score += idf * counts[t] * 2.2 / (counts[t] + 1.2 * (0.25 + 0.75 * lengths[d] / avgdl))
        if last is not None and any(w.startswith(last) for w in counts):
            score += 1.0
        out[d] = score
    return out


def ranked(scores, keep=lambda row: True, limit=10):
    found = [(d, s) for d, s in scores.items() if s > 0 and keep(BY_ID[d])]
    found.sort(key=lambda p: -p[1])
    return found[:limit]


def check(rows, want, dist=True):
    assert [r.id for r in rows] == [d for d, _s in want], ([(r.id, getattr(r, "$dist", None)) for r in rows], want)
    if dist:
        for row, (_d, score) in zip(rows, want):
            assert row["$dist"] == pytest.approx(score, abs=1e-4)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = LoupeProcess(tmp_path_factory.mktemp("tpuf") / "db").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def tpuf(server):
    client = turbopuffer.Turbopuffer(base_url=server.url + "/tpuf", api_key=server.master_key)
    docs = client.namespace("docs")
    result = docs.write(upsert_rows=ROWS, distance_metric="cosine_distance", schema=FTS)
    assert (result.status, result.rows_upserted, result.rows_affected) == ("OK", 5, 5)
    euclid = client.namespace("euclid")
    encoded = [{**r, "vector": base64.b64encode(np.asarray(r["vector"], "<f4").tobytes()).decode()} for r in ROWS]
    euclid.write(upsert_rows=encoded, distance_metric="euclidean_squared")
    return client


@pytest.fixture(scope="module")
def raw(server):
    with httpx.Client(base_url=server.url + "/tpuf",
                      headers={"Authorization": f"Bearer {server.master_key}"}, timeout=60) as http:
        yield http


# 2 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [[1.0, 0.2, 0.1], [0.0, 1.0, 1.0], [-0.25, 0.1, -1.0]])
def test_ann(tpuf, query):
    q = np.asarray(query)
    cos = {r["id"]: 1 - float(q @ r["vector"] / (np.linalg.norm(q) * np.linalg.norm(r["vector"]))) for r in ROWS}
    want = sorted(cos.items(), key=lambda p: p[1])[:4]
    check(tpuf.namespace("docs").query(rank_by=("vector", "ANN", query), top_k=4).rows, want)
    sq = {r["id"]: float(((q - np.asarray(r["vector"])) ** 2).sum()) for r in ROWS}
    want = sorted(sq.items(), key=lambda p: p[1])[:3]
    check(tpuf.namespace("euclid").query(rank_by=("vector", "ANN", query), top_k=3).rows, want)
    keep = [d for d, _s in sorted(cos.items(), key=lambda p: p[1]) if BY_ID[d]["color"] == "blue"]
    rows = tpuf.namespace("docs").query(rank_by=("vector", "ANN", query), top_k=10, filters=("color", "Eq", "blue")).rows
    assert [r.id for r in rows] == keep


def test_vectors_in_and_out(tpuf):
    rows = tpuf.namespace("euclid").query(rank_by=("id", "asc"), top_k=2, include_attributes=["vector"]).rows
    assert [(r.id, r.vector) for r in rows] == [(1, [1.0, 0.0, 0.0]), (2, [0.6000000238418579, 0.800000011920929, 0.0])]
    rows = tpuf.namespace("docs").query(rank_by=("id", "asc"), top_k=1, include_attributes=["vector"],
                                        vector_encoding="base64").rows
    assert np.frombuffer(base64.b64decode(rows[0].vector), "<f4").tolist() == [1.0, 0.0, 0.0]
    query = base64.b64encode(np.asarray([0, 0, 1], "<f4").tobytes()).decode()
    assert tpuf.namespace("docs").query(rank_by=("vector", "ANN", query), top_k=1).rows[0].id == 3


# 3 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("attribute,text", [("title", "fox"), ("body", "lazy dog"), ("body", "the fox foxes"),
                                            ("title", "whale"), ("body", "nothing here")])
def test_bm25(tpuf, attribute, text):
    check(tpuf.namespace("docs").query(rank_by=(attribute, "BM25", text), top_k=10).rows, ranked(bm25(attribute, text)))


def test_bm25_operators(tpuf):
    docs = tpuf.namespace("docs")
    title, body = bm25("title", "lazy fox"), bm25("body", "lazy fox")
    total = {d: 2 * title[d] + body[d] for d in title}
    check(docs.query(rank_by=("Sum", (("Product", 2, ("title", "BM25", "lazy fox")), ("body", "BM25", "lazy fox"))),
                     top_k=10).rows, ranked(total))
    best = {d: max(title[d], body[d]) for d in title}
    check(docs.query(rank_by=("Max", (("title", "BM25", "lazy fox"), ("body", "BM25", "lazy fox"))), top_k=10).rows,
          ranked(best))
    boosted = {d: bm25("body", "huge whale")[d] + (1.0 if BY_ID[d].get("species") == "walrus" else 0.0) for d in title}
    check(docs.query(rank_by=("Sum", (("body", "BM25", "huge whale"), ("species", "Eq", "walrus"))), top_k=10).rows,
          ranked(boosted))
    check(docs.query(rank_by=("Product", 2.0, ("species", "Eq", "whale")), top_k=10).rows, [(4, 2.0)])
    check(docs.query(rank_by=("title", "BM25", "lazy wal", {"last_as_prefix": True}), top_k=10).rows,
          ranked(bm25("title", "lazy wal", prefix=True)))
    check(docs.query(rank_by=("body", "BM25", "lazy dog"), filters=("public", "Eq", True), top_k=10).rows,
          ranked(bm25("body", "lazy dog"), keep=lambda r: r.get("public") is True))


# 4 -------------------------------------------------------------------------------------------------

def test_order_by_attribute(tpuf):
    docs = tpuf.namespace("docs")
    rows = docs.query(rank_by=("price", "desc"), top_k=3, include_attributes=["price"]).rows
    assert [(r.id, r.price) for r in rows] == [(4, 40), (2, 25.5), (1, 10)]
    assert not hasattr(rows[0], "$dist") or rows[0]["$dist"] is None
    rows = docs.query(rank_by=("size", "asc"), top_k=10).rows  # rows without `size` last
    assert [r.id for r in rows] == ["doc-5", 2, 1, 3, 4] or [r.id for r in rows] == ["doc-5", 2, 3, 1, 4]
    rows = docs.query(rank_by=("id", "asc"), top_k=10, filters=("price", "Lt", 20)).rows
    assert [r.id for r in rows] == [1, 3, "doc-5"]
    rows = docs.query(rank_by=("price", "asc"), limit={"total": 10, "per": {"attributes": ["color"], "limit": 1}},
                      include_attributes=["color"]).rows
    assert [(r.id, r.color) for r in rows] == [("doc-5", "green"), (3, "Red"), (1, "red"), (2, "blue")]


# 5 -------------------------------------------------------------------------------------------------

FILTERS = [
    (("color", "Eq", "red"), lambda r: r["color"] == "red"),
    (("color", "NotEq", "red"), lambda r: r["color"] != "red"),
    (("size", "Eq", None), lambda r: "size" not in r),
    (("species", "NotEq", None), lambda r: "species" in r),
    (("size", "In", ["S", "L"]), lambda r: r.get("size") in ("S", "L")),
    (("size", "NotIn", ["S"]), lambda r: r.get("size") != "S"),
    (("price", "Gte", 10), lambda r: r["price"] >= 10),
    (("price", "Lt", 10), lambda r: r["price"] < 10),
    (("id", "Gt", 2), lambda r: isinstance(r["id"], int) and r["id"] > 2),
    (("color", "Glob", "r*"), lambda r: r["color"].startswith("r")),
    (("color", "IGlob", "R*"), lambda r: r["color"].lower().startswith("r")),
    (("color", "NotGlob", "?ed"), lambda r: r["color"] not in ("red", "Red")),
    (("tags", "Glob", "[bc]"), lambda r: bool({"b", "c"} & set(r["tags"]))),
    (("title", "Glob", "**s*"), lambda r: "s" in r["title"]),
    (("title", "Regex", "^[A-Z][a-z]+ (dogs|facts)"), lambda r: r["id"] in (2, 4)),
    (("body", "ContainsAllTokens", "lazy dog"), lambda r: r["id"] in (1, 2)),
    (("body", "ContainsAllTokens", "lazy wal", {"last_as_prefix": True}), lambda r: r["id"] == "doc-5"),
    (("title", "ContainsTokenSequence", "walrus is lazy"), lambda r: r["id"] == "doc-5"),
    (("body", "ContainsTokenSequence", "fox foxes"), lambda r: r["id"] == 3),
    (("tags", "Contains", "a"), lambda r: "a" in r["tags"]),
    (("tags", "NotContains", "b"), lambda r: "b" not in r["tags"]),
    (("tags", "ContainsAny", ["c", "z"]), lambda r: "c" in r["tags"]),
    (("tags", "NotContainsAny", ["a", "b"]), lambda r: not {"a", "b"} & set(r["tags"])),
    (("scores", "AnyGte", 5), lambda r: any(s >= 5 for s in r.get("scores", []))),
    (("scores", "AnyLt", 2), lambda r: any(s < 2 for s in r.get("scores", []))),
    (("And", (("public", "Eq", True), ("Or", (("color", "Eq", "blue"), ("price", "Lte", 3))))),
     lambda r: r.get("public") is True and (r["color"] == "blue" or r["price"] <= 3)),
    (("Not", ("tags", "Contains", "a")), lambda r: "a" not in r["tags"]),
    (("id", "Eq", "doc-5"), lambda r: r["id"] == "doc-5"),
    (("id", "In", [1, 4, "doc-5"]), lambda r: r["id"] in (1, 4, "doc-5")),
    (("color", "In", ["red", "blue"]), lambda r: r["color"] in ("red", "blue")),
    (("public", "NotEq", True), lambda r: r.get("public") is not True),
    (("public", "Eq", None), lambda r: "public" not in r),
    (("price", "Lte", 10), lambda r: r["price"] <= 10),
    (("price", "Gt", 10), lambda r: r["price"] > 10),
    (("color", "Lt", "green"), lambda r: r["color"] < "green"),
    (("color", "Gte", "green"), lambda r: r["color"] >= "green"),
    (("price", "Gt", "10"), lambda r: False),  # a string never compares with a number
    (("color", "NotIGlob", "R*"), lambda r: not r["color"].lower().startswith("r")),
    (("color", "IGlob", "{RED,Gr*}"), lambda r: r["color"].lower() == "red" or r["color"].lower().startswith("gr")),
    (("color", "Glob", "{red,bl?e}"), lambda r: r["color"] in ("red", "blue")),
    (("color", "Glob", "[!r]*"), lambda r: not r["color"].startswith("r")),
    (("title", "Glob", "*\\**"), lambda r: "*" in r["title"]),
    (("tags", "NotGlob", "[ab]"), lambda r: not {"a", "b"} & set(r["tags"])),
    (("body", "Regex", "(?i)^the"), lambda r: r["body"].lower().startswith("the")),
    (("title", "ContainsAllTokens", "the fox"), lambda r: r["id"] == 1),  # stop words are no tokens
    (("body", "ContainsTokenSequence", "dog sleeps"), lambda r: r["id"] == 2),
    (("body", "ContainsTokenSequence", "sleeps dog"), lambda r: False),
    (("scores", "AnyLte", 1), lambda r: any(s <= 1 for s in r.get("scores", []))),
    (("scores", "AnyGt", 5), lambda r: any(s > 5 for s in r.get("scores", []))),
    (("price", "AnyGt", 5), lambda r: False),  # Any* needs an array attribute
    (("price", "Contains", 10), lambda r: False),  # Contains needs an array attribute
    (("Or", (("species", "Eq", "whale"), ("Not", ("public", "NotEq", None)))),
     lambda r: r.get("species") == "whale" or "public" not in r),
]


@pytest.mark.parametrize("n", range(len(FILTERS)))
def test_filters(tpuf, n):
    filters, keep = FILTERS[n]
    rows = tpuf.namespace("docs").query(rank_by=("id", "asc"), top_k=100, filters=filters).rows
    want = [r["id"] for r in ROWS if keep(r)]
    assert sorted(map(str, (r.id for r in rows))) == sorted(map(str, want))


# 6 -------------------------------------------------------------------------------------------------

def test_attributes_shown(tpuf):
    docs = tpuf.namespace("docs")
    row = docs.query(rank_by=("id", "asc"), top_k=1).rows[0]
    assert row.model_dump(exclude_none=True) == {"id": 1}
    row = docs.query(rank_by=("id", "asc"), top_k=1, include_attributes=["color", "price"]).rows[0]
    assert row.model_dump(exclude_none=True) == {"id": 1, "color": "red", "price": 10}
    row = docs.query(rank_by=("id", "asc"), top_k=1, include_attributes=True).rows[0]
    assert row.model_dump(exclude_none=True) == {**BY_ID[1], "vector": [1.0, 0.0, 0.0]}
    row = docs.query(rank_by=("id", "asc"), top_k=1, exclude_attributes=["vector", "body", "tags", "scores"]).rows[0]
    assert row.model_dump(exclude_none=True) == {k: v for k, v in BY_ID[1].items()
                                                 if k not in ("vector", "body", "tags", "scores")}


def test_aggregations(tpuf):
    docs = tpuf.namespace("docs")
    result = docs.query(aggregate_by={"count": ("Count",), "total": ("Sum", "price")}, filters=("price", "Gte", 7))
    assert result.aggregations == {"count": 4, "total": sum(r["price"] for r in ROWS if r["price"] >= 7)}
    assert result.rows is None
    result = docs.query(aggregate_by={"n": ("Count",), "p": ("Sum", "price")}, group_by=["color"])
    groups = {}
    for r in ROWS:
        groups.setdefault(r["color"], []).append(r)
    assert [dict(g) for g in result.aggregation_groups] == [
        {"color": c, "n": len(rs), "p": sum(r["price"] for r in rs)} for c, rs in sorted(groups.items())]
    assert result.billing.billable_logical_bytes_returned > 0 and result.performance.approx_namespace_size == 5


def test_multi_query(tpuf):
    result = tpuf.namespace("docs").multi_query(queries=[
        {"rank_by": ("vector", "ANN", [1.0, 0.0, 0.0]), "top_k": 1},
        {"rank_by": ("body", "BM25", "lazy dog"), "top_k": 2},
        {"aggregate_by": {"count": ("Count",)}}])
    assert [r.id for r in result.results[0].rows] == [1] and result.results[0].rows[0]["$dist"] == pytest.approx(0.0)
    check(result.results[1].rows, ranked(bm25("body", "lazy dog"), limit=2))
    assert result.results[2].aggregations == {"count": 5}


# 1 -------------------------------------------------------------------------------------------------

def test_writes_replace_and_delete(tpuf):
    scratch = tpuf.namespace("scratch")
    scratch.write(upsert_rows=[{"id": 1, "vector": [1, 0], "k": "x"}, {"id": 2, "vector": [0, 1], "k": "y"},
                               {"id": 3, "vector": [1, 1], "k": "z"}], distance_metric="cosine_distance")
    scratch.write(upsert_rows=[{"id": 1, "vector": [0, 1], "k": "w"}])
    rows = scratch.query(rank_by=("vector", "ANN", [0, 1]), top_k=3, include_attributes=["k"]).rows
    assert [(r.id, r.k) for r in rows][:2] in ([(1, "w"), (2, "y")], [(2, "y"), (1, "w")])
    scratch.write(upsert_columns={"id": [7, 8], "vector": [[1, 0], [0.5, 0.5]], "k": ["c1", "c2"]})
    result = scratch.write(deletes=[2], delete_by_filter=("k", "Eq", "z"))
    assert result.rows_deleted == 2
    rows = scratch.query(rank_by=("id", "asc"), top_k=10, include_attributes=["k"]).rows
    assert [(r.id, r.k) for r in rows] == [(1, "w"), (7, "c1"), (8, "c2")]
    assert "scratch" in [n.id for n in tpuf.namespaces()]
    assert scratch.delete_all().status == "OK"


# 7 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path,body,status,message", [
    ("post", "/v2/namespaces/nowhere/query", {"rank_by": ["id", "asc"], "top_k": 1}, 404,
     "namespace 'nowhere' was not found"),
    ("post", "/v2/namespaces/docs/query", {"rank_by": ["id", "asc"], "top_k": 1, "filters": ["color", "Like", "x"]},
     400, "unknown filter operator `Like`"),
    ("post", "/v2/namespaces/docs/query", {"rank_by": ["color", "BM25", "red"], "top_k": 1}, 400,
     "attribute `color` is not configured with full_text_search"),
    ("post", "/v2/namespaces/docs/query", {"rank_by": ["vector", "ANN", [1, 0]], "top_k": 1}, 400,
     "query vector has 2 dimensions, the namespace's have 3"),
    ("post", "/v2/namespaces/docs/query", {"rank_by": ["id", "asc"], "top_k": 20000}, 400,
     "limit must be an integer between 1 and 10000"),
    ("post", "/v2/namespaces/docs/query",
     {"rank_by": ["id", "asc"], "top_k": 1, "filters": ["color", "ContainsAllTokens", "red"]}, 400,
     "`ContainsAllTokens` requires attribute `color` to be configured with full_text_search"),
    ("post", "/v2/namespaces/fresh", {"upsert_rows": [{"id": 1, "vector": [1, 2]}]}, 400,
     "distance_metric is required when a namespace gets its first vectors"),
    ("delete", "/v2/namespaces/nowhere", None, 404, "namespace 'nowhere' was not found"),
])
def test_errors(tpuf, raw, method, path, body, status, message):
    response = raw.request(method.upper(), path, json=body)
    assert response.status_code == status
    assert response.json() == {"status": "error", "error": message}


def test_keys(server, tpuf):
    anonymous = httpx.post(server.url + "/tpuf/v2/namespaces/docs/query", json={"rank_by": ["id", "asc"], "top_k": 1})
    assert anonymous.status_code == 401 and anonymous.json()["status"] == "error"
    key = server.client().create_key({"actions": ["search"], "indexes": ["tpuf_docs"], "expiresAt": None})
    limited = turbopuffer.Turbopuffer(base_url=server.url + "/tpuf", api_key=key.key, max_retries=0)
    assert [r.id for r in limited.namespace("docs").query(rank_by=("id", "asc"), top_k=2).rows] == [1, 2]
    with pytest.raises(turbopuffer.APIStatusError) as refused:
        limited.namespace("euclid").query(rank_by=("id", "asc"), top_k=1)
    assert refused.value.status_code == 403
    with pytest.raises(turbopuffer.APIStatusError) as refused:
        limited.namespace("docs").write(upsert_rows=[{"id": 9}])
    assert refused.value.status_code == 403


def test_tenant_token_filter(server, tpuf):
    """A tenant token's rule filter (Loupe syntax on `attrs.*`) narrows every query of the namespace."""
    meili = server.client()
    key = meili.create_key({"actions": ["search"], "indexes": ["tpuf_*"], "expiresAt": None})
    token = meili.generate_tenant_token(key.uid, {"tpuf_docs": {"filter": "attrs.color = blue"}}, api_key=key.key)
    tenant = turbopuffer.Turbopuffer(base_url=server.url + "/tpuf", api_key=token).namespace("docs")
    assert [r.id for r in tenant.query(rank_by=("id", "asc"), top_k=10).rows] == [2, 4]
    check(tenant.query(rank_by=("body", "BM25", "lazy dog whale"), top_k=10).rows,
          ranked(bm25("body", "lazy dog whale"), keep=lambda r: r["color"] == "blue"))
    assert tenant.query(aggregate_by={"n": ("Count",)}).aggregations == {"n": 2}


# 8: audit additions -------------------------------------------------------------------------------

def test_aggregation_groups_limit_and_multi_key(tpuf):
    """group_by with several attributes; at most `limit` groups, ordered by group key (rows without
    an attribute group under null, last)."""
    docs = tpuf.namespace("docs")
    result = docs.query(aggregate_by={"n": ("Count",), "p": ("Sum", "price")}, group_by=["size", "public"], top_k=3,
                        filters=("price", "Gte", 5))
    groups = {}
    for r in ROWS:
        if r["price"] >= 5:
            groups.setdefault((r.get("size"), r.get("public")), []).append(r)
    order = sorted(groups, key=lambda k: tuple((v is None, v if v is not None else "") for v in k))
    want = [{"size": k[0], "public": k[1], "n": len(groups[k]), "p": sum(r["price"] for r in groups[k])}
            for k in order[:3]]
    assert [dict(g) for g in result.aggregation_groups] == want


def test_multi_query_vector_encoding_and_limits(server, tpuf, raw):
    """vector_encoding set on the multi-query's root applies to every subquery; 1 to 16 queries."""
    result = tpuf.namespace("docs").multi_query(vector_encoding="base64", queries=[
        {"rank_by": ("id", "asc"), "top_k": 2, "include_attributes": ["vector"]},
        {"rank_by": ("vector", "ANN", [0.0, 0.0, 1.0]), "top_k": 1, "include_attributes": ["vector", "title"]}])
    first = [(r.id, np.frombuffer(base64.b64decode(r.vector), "<f4").tolist()) for r in result.results[0].rows]
    assert first == [(1, [1.0, 0.0, 0.0]), (2, np.asarray([0.6, 0.8, 0.0], "<f4").tolist())]
    row = result.results[1].rows[0]
    assert (row.id, row.title, np.frombuffer(base64.b64decode(row.vector), "<f4").tolist()) == (
        3, "Foxes and hounds", [0.0, 0.0, 1.0])
    response = raw.post("/v2/namespaces/docs/query?stainless_overload=multiQuery",
                        json={"queries": [{"rank_by": ["id", "asc"], "top_k": 1}] * 16})
    assert response.status_code == 200 and [r["rows"] for r in response.json()["results"]] == [[{"id": 1}]] * 16
    for body in ({"queries": [{"rank_by": ["id", "asc"], "top_k": 1}] * 17}, {"queries": []},
                 {"queries": [{"rank_by": ["id", "asc"], "top_k": 1}], "top_k": 3}):
        response = raw.post("/v2/namespaces/docs/query?stainless_overload=multiQuery", json=body)
        assert (response.status_code, response.json()) == (400, {
            "status": "error", "error": "a multi-query is {\"queries\": [1 to 16 query objects]}"})


def test_billing_and_performance_objects(tpuf, raw):
    body = {"rank_by": ["body", "BM25", "lazy dog"], "top_k": 2}
    answer = raw.post("/v2/namespaces/docs/query", json=body).json()
    assert set(answer) == {"rows", "billing", "performance"}
    assert set(answer["billing"]) == {"billable_logical_bytes_queried", "billable_logical_bytes_returned"}
    assert all(isinstance(v, int) and v > 0 for v in answer["billing"].values())
    performance = answer["performance"]
    assert set(performance) == {"cache_hit_ratio", "cache_temperature", "server_total_ms", "query_execution_ms",
                                "exhaustive_search_count", "approx_namespace_size"}
    assert performance["approx_namespace_size"] == len(ROWS) and performance["cache_temperature"] in ("hot", "warm", "cold")
    assert isinstance(performance["cache_hit_ratio"], float)
    assert all(isinstance(performance[k], int) and performance[k] >= 0
               for k in ("server_total_ms", "query_execution_ms", "exhaustive_search_count"))
    multi = raw.post("/v2/namespaces/docs/query?stainless_overload=multiQuery", json={"queries": [body]}).json()
    assert set(multi) == {"results", "billing", "performance"} and set(multi["results"][0]) == {"rows"}


def test_namespace_is_a_loupe_index(server, tpuf):
    indexes = httpx.get(server.url + "/indexes?limit=100", headers={"Authorization": f"Bearer {server.master_key}"}).json()
    by_uid = {i["uid"]: i for i in indexes["results"]}
    assert {"tpuf_docs", "tpuf_euclid"} <= set(by_uid) and by_uid["tpuf_docs"]["primaryKey"] == "id"
    stats = httpx.get(server.url + "/indexes/tpuf_docs/stats", headers={"Authorization": f"Bearer {server.master_key}"})
    assert stats.json()["numberOfDocuments"] == len(ROWS)


@pytest.mark.parametrize("body,message", [
    ({"rank_by": ["id", "asc"], "top_k": 1, "include_attributes": ["a"], "exclude_attributes": ["b"]},
     "include_attributes and exclude_attributes cannot both be set"),
    ({"rank_by": ["id", "asc"], "top_k": 1, "include_attributes": "title"},
     "include_attributes must be a boolean or an array of attribute names"),
    ({"rank_by": ["id", "asc"], "top_k": 1, "exclude_attributes": "vector"},
     "exclude_attributes must be an array of attribute names"),
    ({"rank_by": ["id", "asc"], "top_k": 1, "vector_encoding": "hex"}, "vector_encoding must be `float` or `base64`"),
    ({"aggregate_by": {"n": ["Count"]}, "rank_by": ["id", "asc"]},
     "aggregate_by cannot be combined with rank_by or include_attributes"),
    ({"aggregate_by": {"n": ["Avg", "price"]}}, "aggregate `n` must be [\"Count\"] or [\"Sum\", attribute]"),
    ({"rank_by": ["id", "asc"], "top_k": 1, "group_by": ["color"]}, "group_by requires aggregate_by"),
    ({"top_k": 1}, "rank_by is required unless aggregate_by is set"),
    ({"rank_by": ["id", "asc"]}, "limit (or top_k) is required"),
    ({"rank_by": ["id", "asc"], "limit": {"total": 0}}, "limit must be an integer between 1 and 10000"),
    ({"rank_by": ["id", "asc"], "limit": {"total": 5, "per": {"attributes": "color", "limit": 1}}},
     "limit.per must be {\"attributes\": [...], \"limit\": n}"),
    ({"rank_by": ["id", "asc"], "top_k": 1, "filters": ["color", "Glob", "{a,{b}}"]},
     "invalid glob `{a,{b}}`: nested alternations"),
    ({"rank_by": ["id", "asc"], "top_k": 1, "filters": ["color", "Regex", "("]},
     "invalid regex `(`: missing ), unterminated subpattern at position 0"),
    ({"rank_by": ["id", "asc"], "top_k": 1, "filters": ["color", "In", "red"]}, "`In` expects an array of values"),
    ({"rank_by": ["id", "asc"], "top_k": 1, "nonsense": 1}, "unknown query parameter `nonsense`"),
])
def test_query_errors(tpuf, raw, body, message):
    response = raw.post("/v2/namespaces/docs/query", json=body)
    assert (response.status_code, response.json()) == (400, {"status": "error", "error": message})


def test_transport_error_shapes(server, tpuf, raw):
    response = raw.post("/v2/namespaces/docs/query", content=b"{\"rank_by\": [", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and set(response.json()) == {"status", "error"}
    assert response.json()["status"] == "error"
    response = raw.get("/v2/namespaces/docs/nothing")
    assert (response.status_code, response.json()) == (404, {"status": "error", "error": "no such route"})
    response = httpx.post(server.url + "/tpuf/v2/namespaces/docs/query", json={"rank_by": ["id", "asc"], "top_k": 1},
                          headers={"Authorization": "Bearer wrong"})
    assert (response.status_code, response.json()) == (403, {"status": "error", "error": "The provided API key is invalid."})


def test_large_filtered_ann_equals_brute_force(tpuf):
    """2,500 rows (the engine's ANN plan): filtered ANN equals brute force, $dist = 1 − cos; the
    schema's `regex` flag is accepted and Regex filters the rows."""
    rng = np.random.default_rng(2)
    n, dims = 2500, 8
    vectors = rng.normal(size=(n, dims)).astype(np.float32)
    labels = ["even" if i % 2 == 0 else ("three" if i % 3 == 0 else "odd") for i in range(n)]
    large = tpuf.namespace("large")
    large.write(upsert_columns={"id": list(range(n)), "vector": vectors.tolist(), "label": labels,
                                "rank": list(range(n))},
                distance_metric="cosine_distance", schema={"label": {"type": "string", "regex": True}})
    normed = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    for _ in range(3):
        query = rng.normal(size=dims)
        dist = 1 - normed @ (query / np.linalg.norm(query))
        for keep, filters in ((lambda i: True, None), (lambda i: labels[i] == "three", ("label", "Eq", "three")),
                              (lambda i: labels[i] != "even" and i < 2000,
                               ("And", (("label", "Regex", "^(o|t)"), ("rank", "Lt", 2000))))):
            want = sorted((i for i in range(n) if keep(i)), key=lambda i: dist[i])[:15]
            kwargs = {"filters": filters} if filters else {}
            rows = large.query(rank_by=("vector", "ANN", query.tolist()), top_k=15, **kwargs).rows
            check(rows, [(i, float(dist[i])) for i in want])
