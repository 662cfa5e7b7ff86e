"""POST /v2/namespaces/{ns}: upsert_rows, upsert_columns, deletes, delete_by_filter,
distance_metric and schema, applied as Loupe tasks and answered once searchable.

    {"upsert_rows": [{"id": 1, "vector": [..] | "<base64 f32le>", "title": "…"}],
     "distance_metric": "cosine_distance", "schema": {"title": {"type": "string", "full_text_search": true}}}

Ids are unsigned integers or strings of letters, digits, `-` and `_` (Loupe document ids).  The
first vectors of a namespace need ``distance_metric``; ``schema`` flags ``full_text_search``
attributes (BM25) and accepts ``regex`` and ``filterable`` (every attribute is filterable here).
"""
from __future__ import annotations

import base64
import math
import re
from typing import Any

import numpy as np

from .errors import bad_request
from .namespaces import METRICS, Namespace

_ID = re.compile(r"^[A-Za-z0-9_-]{1,511}$")
_WRITE_KEYS = {"upsert_rows", "upsert_columns", "deletes", "delete_by_filter", "distance_metric", "schema",
               "create_namespace", "return_affected_ids", "disable_backpressure"}


def doc_id(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _ID.match(value):
        return value
    raise bad_request(f"invalid id {value!r}: ids are unsigned integers or strings of letters, digits, `-` and `_`")


def decode_vector(value: Any, where: str) -> list[float]:
    """A vector as a JSON array or base64 of little-endian float32 values."""
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except ValueError:
            raise bad_request(f"{where}: invalid base64 vector") from None
        if len(raw) % 4:
            raise bad_request(f"{where}: a base64 vector must hold whole float32 values")
        return np.frombuffer(raw, dtype="<f4").astype(float).tolist()
    if isinstance(value, list) and value and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                 and math.isfinite(x) for x in value):
        return [float(x) for x in value]
    raise bad_request(f"{where}: a vector is a non-empty array of numbers or a base64 string")


def encode_vector(vector: list[float], encoding: str) -> Any:
    if encoding == "base64":
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()
    return vector


def _rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    rows = list(body.get("upsert_rows") or [])
    columns = body.get("upsert_columns")
    if columns is not None:
        if not isinstance(columns, dict) or not isinstance(columns.get("ids", columns.get("id")), list):
            raise bad_request("upsert_columns must be an object of equally long columns with `id`")
        ids = columns.get("ids", columns.get("id"))
        for name, column in columns.items():
            if not isinstance(column, list) or len(column) != len(ids):
                raise bad_request(f"upsert_columns: column `{name}` must have {len(ids)} values")
        rows += [{("id" if k == "ids" else k): columns[k][i] for k in columns} for i in range(len(ids))]
    return rows


def full_text_attributes(schema: Any) -> set[str]:
    if schema is None:
        return set()
    if not isinstance(schema, dict):
        raise bad_request("schema must be an object of attribute -> configuration")
    out = set()
    for name, config in schema.items():
        if isinstance(config, dict) and config.get("full_text_search"):
            out.add(name)
    return out


def parse_write(namespace: Namespace | None, body: Any) -> tuple[list[dict[str, Any]], list[Any], str | None, int | None]:
    """(documents, ids to delete, metric, dimensions of the vectors written)."""
    if not isinstance(body, dict):
        raise bad_request("the write body must be a JSON object")
    unknown = sorted(set(body) - _WRITE_KEYS)
    if unknown:
        raise bad_request(f"unsupported write parameter `{unknown[0]}`")
    metric = body.get("distance_metric")
    if metric is not None and metric not in METRICS:
        raise bad_request(f"distance_metric must be one of {', '.join(METRICS)}")
    if namespace is not None and namespace.metric is not None and metric is not None and metric != namespace.metric:
        raise bad_request(f"distance_metric {metric} does not match the namespace's {namespace.metric}")
    dimensions = namespace.dimensions if namespace is not None else None
    documents = []
    for n, row in enumerate(_rows(body)):
        if not isinstance(row, dict) or "id" not in row:
            raise bad_request(f"upsert_rows[{n}] must be an object with `id`")
        attrs = {k: v for k, v in row.items() if k not in ("id", "vector")}
        document: dict[str, Any] = {"id": doc_id(row["id"]), "attrs": attrs}
        if row.get("vector") is not None:
            vector = decode_vector(row["vector"], f"upsert_rows[{n}].vector")
            if dimensions is None:
                dimensions = len(vector)
            elif len(vector) != dimensions:
                raise bad_request(f"upsert_rows[{n}].vector has {len(vector)} dimensions, expected {dimensions}")
            document["vector"] = vector
        documents.append(document)
    if any("vector" in d for d in documents) and (namespace is None or namespace.metric is None) and metric is None:
        raise bad_request("distance_metric is required when a namespace gets its first vectors")
    deletes = [doc_id(i) for i in body.get("deletes") or []]
    return documents, deletes, metric or (namespace.metric if namespace else None), dimensions
