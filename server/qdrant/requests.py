"""Request bodies of every search route, read into one `Search` (a `search.Plan` plus paging and
what to show).

    /points/search        {"vector": [..] | {"name", "vector"}, filter, params, limit, offset, …}
    /points/recommend     {"positive": [id | vector], "negative": [...], "strategy", "using", …}
    /points/query         {"query": vector | id | {"nearest": …} | {"recommend": {…}}, "using", …}
    …/groups              the same plus "group_by", "group_size", "with_lookup"

``params`` (hnsw_ef, exact, indexed_only, quantization) are accepted and validated: the engine
plans exact or approximate scoring by the filtered set's size, and its approximate plan rescores
exactly, so they change nothing in the answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import LoupeError
from engine.index import Index

from .collections import Collection
from .errors import bad_request, not_found
from .filters import parse_filter
from .points import checked_vector as _checked, hidden, point_id, prepare_vector
from .search import Plan
from .selectors import PayloadSelector, VectorSelector, payload_selector, vector_selector

STRATEGIES = ("average_vector", "best_score")


@dataclass
class Search:
    plan: Plan
    limit: int
    offset: int
    payload: PayloadSelector
    vectors: VectorSelector

    def __post_init__(self) -> None:
        self.plan.wanted = self.offset + self.limit


@dataclass(frozen=True)
class Grouping:
    group_by: str
    group_size: int
    limit: int
    lookup: dict[str, Any] | None


def _uint(body: dict[str, Any], name: str, default: int | None, minimum: int = 0) -> int | None:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise bad_request(f"Validation error in JSON body: [{name}: value {value!r} invalid, must be an integer "
                          f"of at least {minimum}]")
    return value


def _params(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not set(value) <= {"hnsw_ef", "exact", "indexed_only", "quantization", "acorn"}:
        raise bad_request("Format error in JSON body: `params` takes hnsw_ef, exact, indexed_only and quantization")
    if value.get("hnsw_ef") is not None and (not isinstance(value["hnsw_ef"], int) or value["hnsw_ef"] < 0):
        raise bad_request("Format error in JSON body: `params.hnsw_ef` must be an unsigned integer")
    for flag in ("exact", "indexed_only"):
        if value.get(flag) is not None and not isinstance(value[flag], bool):
            raise bad_request(f"Format error in JSON body: `params.{flag}` must be a boolean")


def _threshold(body: dict[str, Any]) -> float | None:
    value = body.get("score_threshold")
    if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        raise bad_request("Format error in JSON body: `score_threshold` must be a number")
    return None if value is None else float(value)


def _common(index: Index, collection: Collection, body: dict[str, Any], using: str | None,
            default_limit: int | None, tenant: Any) -> tuple[Plan, int, int, PayloadSelector, VectorSelector]:
    _params(body.get("params"))
    space = collection.space(using)
    vectors = vector_selector(body.get("with_vector", body.get("with_vectors")))
    plan = Plan(collection, space, parse_filter(body.get("filter")), score_threshold=_threshold(body),
                with_vectors=vectors.enabled, tenant=tenant)
    limit = _uint(body, "limit", default_limit, 1) if "limit" in body or default_limit is not None else None
    if limit is None:
        limit = _uint(body, "top", None, 1)
    if limit is None:
        raise bad_request("Format error in JSON body: missing field `limit`")
    return plan, limit, _uint(body, "offset", 0) or 0, payload_selector(body.get("with_payload")), vectors


def stored_vector(index: Index, collection: Collection, using: str | None, raw_id: Any, tenant: Any = None
                  ) -> np.ndarray:
    """The ``using`` vector of a stored point (404 when there is no such point or vector, or when a
    tenant token's filter hides it)."""
    pid = point_id(raw_id)
    try:
        document = index.get_document(str(pid), retrieve_vectors=True)
        if hidden(index, pid, tenant):
            raise LoupeError("document_not_found", "hidden by the tenant token")
    except LoupeError as exc:
        if exc.code == "document_not_found":
            raise not_found(f"No point with id {pid} found") from None
        raise
    space = collection.space(using)
    embeddings = ((document.get("_vectors") or {}).get(space.embedder) or {}).get("embeddings") or []
    if not embeddings:
        raise not_found(f"Vector `{space.name}` of point {pid} not found")
    return np.asarray(embeddings[0], dtype=np.float32)


def _example(index: Index, collection: Collection, using: str | None, value: Any, where: str,
             ids: set, tenant: Any) -> np.ndarray:
    if isinstance(value, list):  # as given: averaged raw, normalised (Cosine) only as a query
        space = collection.space(using)
        return np.asarray(_checked(value, space.size, where), dtype=np.float32)
    ids.add(point_id(value))
    return stored_vector(index, collection, using, value, tenant)


def _recommend(index: Index, plan: Plan, collection: Collection, using: str | None, body: dict[str, Any]) -> None:
    strategy = body.get("strategy") or "average_vector"
    if strategy not in STRATEGIES:
        raise bad_request(f"Format error in JSON body: unknown recommend strategy `{strategy}`")
    ids: set = set()
    examples = {side: [_example(index, collection, using, v, side, ids, plan.tenant) for v in body.get(side) or []]
                for side in ("positive", "negative")}
    positives, negatives = examples["positive"], examples["negative"]
    plan.exclude = frozenset(ids)
    if strategy == "best_score":
        if not positives and not negatives:
            raise bad_request("At least one positive or negative example is required")
        plan.positives = [_for_space(plan, v) for v in positives]
        plan.negatives = [_for_space(plan, v) for v in negatives]
        return
    if not positives:
        raise bad_request("Positive vectors should not be empty with `average` strategy")
    average = np.mean(np.stack(positives), axis=0, dtype=np.float32)
    if negatives:
        average = average + average - np.mean(np.stack(negatives), axis=0, dtype=np.float32)
    plan.vector = _for_space(plan, average)


def _for_space(plan: Plan, vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    if plan.space.distance == "Cosine":
        norm = float(np.sqrt(np.dot(vector, vector)))
        if norm > np.finfo(np.float32).eps:
            vector = (vector / np.float32(norm)).astype(np.float32)
    return vector


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("Format error in JSON body: expected an object")
    return body


def search_request(index: Index, collection: Collection, body: Any, tenant: Any = None,
                   default_limit: int | None = None) -> Search:
    """/points/search (and the search half of /search/groups)."""
    body = _object(body)
    raw = body.get("vector")
    using = None
    if isinstance(raw, dict):
        using, raw = raw.get("name"), raw.get("vector")
    if raw is None:
        raise bad_request("Format error in JSON body: missing field `vector`")
    plan, limit, offset, payload, vectors = _common(index, collection, body, using, default_limit, tenant)
    plan.vector = np.asarray(prepare_vector(collection, using or "", raw, "vector"), dtype=np.float32)
    return Search(plan, limit, offset, payload, vectors)


def recommend_request(index: Index, collection: Collection, body: Any, tenant: Any = None,
                      default_limit: int | None = None) -> Search:
    body = _object(body)
    using = body.get("using")
    if body.get("lookup_from") is not None:
        raise bad_request("`lookup_from` is not supported by Loupe")
    plan, limit, offset, payload, vectors = _common(index, collection, body, using, default_limit, tenant)
    _recommend(index, plan, collection, using, body)
    return Search(plan, limit, offset, payload, vectors)


def query_request(index: Index, collection: Collection, body: Any, tenant: Any = None) -> Search:
    """/points/query: ``query`` as a vector, a point id, {"nearest"} or {"recommend"}."""
    body = _object(body)
    for unsupported in ("prefetch", "lookup_from"):
        if body.get(unsupported) is not None:
            raise bad_request(f"`{unsupported}` is not supported by Loupe")
    using = body.get("using")
    plan, limit, offset, payload, vectors = _common(index, collection, body, using, 10, tenant)
    query = body.get("query")
    if isinstance(query, dict) and "nearest" in query:
        query = query["nearest"]
    if isinstance(query, dict) and "recommend" in query:
        _recommend(index, plan, collection, using, _object(query["recommend"]))
    elif isinstance(query, list):
        plan.vector = np.asarray(prepare_vector(collection, using or "", query, "query"), dtype=np.float32)
    elif isinstance(query, (int, str)) and not isinstance(query, bool):
        plan.exclude = frozenset({point_id(query)})
        plan.vector = _for_space(plan, stored_vector(index, collection, using, query, tenant))
    elif query is None:
        raise bad_request("`query` is required (a vector, a point id, {\"nearest\": …} or {\"recommend\": …})")
    else:
        kind = next(iter(query)) if isinstance(query, dict) and query else type(query).__name__
        raise bad_request(f"query `{kind}` is not supported by Loupe (vectors, point ids, nearest and recommend are)")
    return Search(plan, limit, offset, payload, vectors)


def grouping(body: dict[str, Any]) -> Grouping:
    if body.get("offset") is not None:  # the seed: "pagination is not enabled when using groups"
        raise bad_request("Format error in JSON body: `offset` is not allowed with groups")
    group_by = body.get("group_by")
    if not isinstance(group_by, str) or not group_by:
        raise bad_request("Format error in JSON body: missing field `group_by`")
    lookup = body.get("with_lookup")
    if isinstance(lookup, str):
        lookup = {"collection": lookup}
    if lookup is not None and (not isinstance(lookup, dict) or not isinstance(lookup.get("collection"), str)):
        raise bad_request("Format error in JSON body: `with_lookup` must be a collection name or {\"collection\": …}")
    return Grouping(group_by, _uint(body, "group_size", 3, 1), _uint(body, "limit", 10, 1), lookup)
