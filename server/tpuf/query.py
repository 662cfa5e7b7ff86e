"""POST /v2/namespaces/{ns}/query: one query object -> its answer (rows or aggregations).

    rank_by   ["vector", "ANN", v]          $dist: cosine distance 1 − cos, or squared Euclid
              [attr, "asc" | "desc"]         no $dist; rows without the attribute last
              [attr, "BM25", text, {last_as_prefix}] | ["Sum" | "Max", [e…]] | ["Product", w, e]
              | a filter (scores 1)          $dist: the score; rows scoring 0 left out
    filters, include_attributes (default: id), exclude_attributes, top_k | limit (number or
    {total, per: {attributes, limit}}), aggregate_by {label: ["Count"] | ["Sum", attr]} with group_by,
    vector_encoding float | base64.

ANN on a cosine namespace runs as the engine's semantic search in growing windows, filters checked
on each candidate; everything else ranks the namespace's filtered rows here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from engine.index import Index
from engine.search.query import Query, Semantic

from . import bm25
from .errors import bad_request
from .filters import is_filter, parse_filter
from .namespaces import Namespace
from .rows import Row, all_rows, f32, row_of, rows_by_docids, version
from .writes import decode_vector, encode_vector

MAX_TOP_K = 10_000
_QUERY_KEYS = {"rank_by", "top_k", "limit", "filters", "include_attributes", "exclude_attributes",
               "aggregate_by", "group_by", "vector_encoding", "consistency"}


@dataclass
class Ranked:
    row: Row
    dist: float | None


def _limit(body: dict[str, Any]) -> tuple[int | None, dict[str, Any] | None]:
    value = body.get("limit", body.get("top_k"))
    per = None
    if isinstance(value, dict):
        per = value.get("per")
        value = value.get("total")
        if per is not None and (not isinstance(per, dict) or not isinstance(per.get("attributes"), list)
                                or not isinstance(per.get("limit"), int)):
            raise bad_request("limit.per must be {\"attributes\": [...], \"limit\": n}")
    if value is None:
        return None, per
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TOP_K:
        raise bad_request(f"limit must be an integer between 1 and {MAX_TOP_K}")
    return value, per


# -- scoring expressions ----------------------------------------------------------------------------

Scorer = Callable[[list[Row]], dict[int, float]]


def _scorer(index: Index, namespace: Namespace, expr: Any, rows_of: Callable[[], list[Row]]) -> Scorer:
    """docid -> score of a BM25 expression (absent: 0)."""
    if isinstance(expr, list) and len(expr) == 2 and expr[0] in ("Sum", "Max") and isinstance(expr[1], list):
        parts = [_scorer(index, namespace, e, rows_of) for e in expr[1]]
        fold = (lambda a, b: a + b) if expr[0] == "Sum" else max

        def combined(rows: list[Row]) -> dict[int, float]:
            out: dict[int, float] = {}
            for part in parts:
                for docid, score in part(rows).items():
                    out[docid] = fold(out[docid], score) if docid in out else score
            return out
        return combined
    if isinstance(expr, list) and len(expr) == 3 and expr[0] == "Product":
        weight, inner = (expr[1], expr[2]) if isinstance(expr[1], (int, float)) else (expr[2], expr[1])
        if not isinstance(weight, (int, float)) or isinstance(weight, bool):
            raise bad_request("`Product` takes a number and an expression")
        part = _scorer(index, namespace, inner, rows_of)
        return lambda rows: {d: weight * s for d, s in part(rows).items()}
    if isinstance(expr, list) and len(expr) in (3, 4) and expr[1] == "BM25":
        attribute, text = expr[0], expr[2]
        params = expr[3] if len(expr) == 4 else {}
        if not isinstance(text, str) or not isinstance(params, dict):
            raise bad_request("BM25 takes [attribute, \"BM25\", text, {last_as_prefix}]")
        if attribute not in namespace.full_text:
            raise bad_request(f"attribute `{attribute}` is not configured with full_text_search")

        def score(rows: list[Row]) -> dict[int, float]:
            stats = bm25.field_stats(index.uid, version(index), attribute, rows_of)
            return bm25.scores(stats, text, bool(params.get("last_as_prefix")))
        return score
    if is_filter(expr):
        predicate = parse_filter(expr, frozenset(namespace.full_text))
        return lambda rows: {row.docid: 1.0 for row in rows if predicate(row.values)}
    raise bad_request(f"invalid rank_by expression {expr!r}")


# -- one query --------------------------------------------------------------------------------------

def _ann(index: Index, namespace: Namespace, vector: list[float], predicate, want_vectors: bool,
         wanted: int, filtered: bool) -> Iterator[Ranked]:
    """Cosine ANN through the engine, candidates filtered here, windows doubling from what the
    query takes (plus room for the filter's rejections)."""
    window, seen = wanted + (16 if filtered else 0), 0
    while True:
        result = index.execute(Query(semantic=Semantic(namespace.embedder, 1.0, tuple(vector)), limit=window,
                                     max_total_hits=window, scores=True, retrieve_vectors=want_vectors))
        vectors = result.vectors or {}
        for hit in result.hits[seen:]:
            similarity = next((s.similarity for s in hit.scores if s.is_vector), None)
            if similarity is None:
                return
            row = row_of(hit.docid, hit.stored, vectors.get(hit.docid), namespace.embedder)
            if predicate(row.values):
                yield Ranked(row, float(np.float32(2.0 - 2.0 * similarity)))  # 1 − cos
        if len(result.hits) < window:
            return
        seen, window = len(result.hits), window * 2


def _rank(index: Index, namespace: Namespace, rank_by: Any, predicate, want_vectors: bool, wanted: int = 10,
          filtered: bool = True) -> Iterator[Ranked]:
    if isinstance(rank_by, list) and len(rank_by) == 3 and rank_by[1] == "ANN":
        if rank_by[0] != "vector":
            raise bad_request("ANN ranks by the `vector` attribute")
        if namespace.embedder is None:
            raise bad_request("the namespace has no vectors")
        vector = decode_vector(rank_by[2], "rank_by")
        if len(vector) != namespace.dimensions:
            raise bad_request(f"query vector has {len(vector)} dimensions, the namespace's have {namespace.dimensions}")
        if namespace.metric == "cosine_distance":
            yield from _ann(index, namespace, vector, predicate, want_vectors, wanted, filtered)
            return
        rows = [r for r in all_rows(index, namespace.embedder, True) if r.vector is not None and predicate(r.values)]
        if rows:
            diff = f32([r.vector for r in rows]) - f32(vector)
            dists = np.einsum("ij,ij->i", diff, diff)
            for i in np.argsort(dists, kind="stable").tolist():
                yield Ranked(rows[i], float(dists[i]))
        return
    if isinstance(rank_by, list) and len(rank_by) == 2 and rank_by[1] in ("asc", "desc") and isinstance(rank_by[0], str):
        attribute, descending = rank_by[0], rank_by[1] == "desc"
        rows = [r for r in all_rows(index, namespace.embedder, want_vectors) if predicate(r.values)]
        present = [r for r in rows if _sortable(r.values.get(attribute))]
        absent = [r for r in rows if not _sortable(r.values.get(attribute))]
        present.sort(key=lambda r: _sort_key(r.values[attribute]), reverse=descending)
        for row in present + absent:
            yield Ranked(row, None)
        return
    rows_cache: list[list[Row]] = []

    def rows_of() -> list[Row]:
        if not rows_cache:
            rows_cache.append(all_rows(index, namespace.embedder, want_vectors))
        return rows_cache[0]

    lazy = _LazyRows(rows_of)
    scorer = _scorer(index, namespace, rank_by, rows_of)
    scores = scorer(lazy)  # type: ignore[arg-type]
    order = sorted((docid for docid, score in scores.items() if score > 0.0), key=lambda d: (-scores[d], d))
    if want_vectors or lazy.loaded:
        by_docid = {row.docid: row for row in rows_of()}
        candidates = [by_docid[d] for d in order if d in by_docid]
    else:  # only the scored documents are read, a chunk at a time
        candidates = (row for lo in range(0, len(order), 256) for row in rows_by_docids(index, order[lo:lo + 256]))
    for row in candidates:
        if predicate(row.values):
            yield Ranked(row, scores[row.docid])


class _LazyRows(list):
    """The namespace's rows, read on first iteration only (a filter clause in rank_by needs them;
    BM25 with cached statistics does not)."""

    def __init__(self, rows_of: Callable[[], list[Row]]):
        super().__init__()
        self.rows_of, self.loaded = rows_of, False

    def __iter__(self):
        if not self.loaded:
            self.extend(self.rows_of())
            self.loaded = True
        return super().__iter__()


def _sortable(value: Any) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool) or isinstance(value, bool)


def _sort_key(value: Any) -> tuple:
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, value)


def _shown(ranked: Ranked, include: Any, exclude: list[str] | None, encoding: str) -> dict[str, Any]:
    values = ranked.row.values
    out: dict[str, Any] = {"id": values["id"]}
    if ranked.dist is not None:
        out["$dist"] = ranked.dist
    if exclude is not None:
        names = [k for k in values if k != "id" and k not in exclude] + (["vector"] if "vector" not in exclude else [])
    elif include is True:
        names = [k for k in values if k != "id"] + ["vector"]
    else:
        names = [k for k in (include or []) if k != "id"]
    for name in names:
        if name == "vector":
            if ranked.row.vector is not None:
                out["vector"] = encode_vector(ranked.row.vector, encoding)
        elif name in values:
            out[name] = values[name]
    return out


def _wants_vectors(include: Any, exclude: list[str] | None) -> bool:
    if exclude is not None:
        return "vector" not in exclude
    return include is True or (isinstance(include, list) and "vector" in include)


def _group_key(value: Any) -> tuple:
    return (value is None, _sort_key(value) if value is not None else ())


def _aggregate(index: Index, namespace: Namespace, body: dict[str, Any], predicate, limit: int | None) -> dict[str, Any]:
    aggregate_by = body["aggregate_by"]
    if not isinstance(aggregate_by, dict) or not aggregate_by:
        raise bad_request("aggregate_by must be an object of label -> [\"Count\"] | [\"Sum\", attribute]")
    for label, spec in aggregate_by.items():
        if not (isinstance(spec, list) and (spec == ["Count"] or (len(spec) == 2 and spec[0] == "Sum"
                                                                  and isinstance(spec[1], str)))):
            raise bad_request(f"aggregate `{label}` must be [\"Count\"] or [\"Sum\", attribute]")
    rows = [r for r in all_rows(index, namespace.embedder, False) if predicate(r.values)]

    def fold(members: list[Row]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for label, spec in aggregate_by.items():
            if spec[0] == "Count":
                out[label] = len(members)
            else:
                values = [r.values.get(spec[1]) for r in members]
                out[label] = sum(v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool))
        return out

    group_by = body.get("group_by")
    if group_by is None:
        return {"aggregations": fold(rows)}
    if not isinstance(group_by, list) or not all(isinstance(a, str) for a in group_by):
        raise bad_request("group_by must be an array of attribute names")
    groups: dict[tuple, list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(_hashable(row.values.get(a)) for a in group_by), []).append(row)
    ordered = sorted(groups, key=lambda key: tuple(_group_key(v) for v in key))[:limit or MAX_TOP_K]
    return {"aggregation_groups": [{**dict(zip(group_by, key)), **fold(groups[key])} for key in ordered]}


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _visible(index: Index, predicate: Callable[[dict[str, Any]], bool], tenant: Any):
    """``predicate`` restricted to the rows a tenant token's filter lets through (Loupe syntax on
    `id` and `attrs.*`); BM25 statistics stay those of the whole namespace."""
    if tenant is None:
        return predicate
    ids = {row.values["id"] for row in all_rows(index, None, False, filter=tenant)}
    return lambda values: values["id"] in ids and predicate(values)


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(a, str) for a in value)


def run_query(index: Index, namespace: Namespace, body: Any, encoding: str | None = None,
              tenant: Any = None) -> dict[str, Any]:
    """One query object's answer: ``{"rows": [...]}`` or the aggregations."""
    if not isinstance(body, dict):
        raise bad_request("a query must be a JSON object")
    unknown = sorted(set(body) - _QUERY_KEYS)
    if unknown:
        raise bad_request(f"unknown query parameter `{unknown[0]}`")
    limit, per = _limit(body)
    predicate = _visible(index, parse_filter(body.get("filters"), frozenset(namespace.full_text)), tenant)
    if body.get("aggregate_by") is not None:
        if body.get("rank_by") is not None or body.get("include_attributes") is not None:
            raise bad_request("aggregate_by cannot be combined with rank_by or include_attributes")
        return _aggregate(index, namespace, body, predicate, limit)
    if body.get("group_by") is not None:
        raise bad_request("group_by requires aggregate_by")
    if body.get("rank_by") is None:
        raise bad_request("rank_by is required unless aggregate_by is set")
    if limit is None:
        raise bad_request("limit (or top_k) is required")
    include, exclude = body.get("include_attributes"), body.get("exclude_attributes")
    if include is not None and exclude is not None:
        raise bad_request("include_attributes and exclude_attributes cannot both be set")
    if include is not None and not (isinstance(include, bool) or _names(include)):
        raise bad_request("include_attributes must be a boolean or an array of attribute names")
    if exclude is not None and not _names(exclude):
        raise bad_request("exclude_attributes must be an array of attribute names")
    encoding = body.get("vector_encoding", encoding) or "float"
    if encoding not in ("float", "base64"):
        raise bad_request("vector_encoding must be `float` or `base64`")
    rows, counts = [], {}
    filtered = body.get("filters") is not None or tenant is not None or per is not None
    for ranked in _rank(index, namespace, body["rank_by"], predicate, _wants_vectors(include, exclude), limit,
                        filtered):
        if per is not None:
            key = tuple(_hashable(ranked.row.values.get(a)) for a in per["attributes"])
            if counts.get(key, 0) >= per["limit"]:
                continue
            counts[key] = counts.get(key, 0) + 1
        rows.append(_shown(ranked, include, exclude, encoding))
        if len(rows) == limit:
            break
    return {"rows": rows}
