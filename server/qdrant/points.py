"""Points: ids, the upsert body, and their documents.

A point id is an unsigned integer or a UUID (any spelling Python's `uuid.UUID` reads, stored in
the canonical lower-case hyphenated form, as Qdrant does).  Both are valid Loupe document ids.

The upsert is written like any document addition, with one twist: its documents carry
``version``, the uid of the task that writes them, known only once the task is enqueued; so the
update file is written inside the queue's ``prepare`` hook, where the uid is known.
"""
from __future__ import annotations

import math
import os
import uuid as uuidlib
from typing import Any

import numpy as np

from engine.documents.payloads import encode_update_file

from .collections import UNNAMED, Collection
from .errors import bad_request

PointId = int | str


def point_id(value: Any) -> PointId:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise bad_request(f"point id {value} must be an unsigned integer or a UUID")
        return value
    if isinstance(value, str):
        try:
            return str(uuidlib.UUID(value))
        except ValueError:
            raise bad_request(f"Unable to parse UUID: {value}") from None
    raise bad_request(f"point id {value!r} must be an unsigned integer or a UUID")


def hidden(index: Any, pid: PointId, tenant: Any) -> bool:
    """Whether a tenant token's filter (Loupe syntax; None: no token) hides the stored point."""
    return tenant is not None and not index.get_documents(0, 1, ids=[str(pid)], filter=tenant)[1]


def checked_vector(value: Any, size: int, where: str) -> list[float]:
    if not isinstance(value, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                              and math.isfinite(x) for x in value):
        raise bad_request(f"{where} must be an array of finite numbers")
    if len(value) != size:
        raise bad_request(f"Vector dimension error: expected dim: {size}, got {len(value)}")
    return [float(x) for x in value]


def normalised(vector: list[float]) -> list[float]:
    """Qdrant's Cosine preprocessing: the vector divided by its norm (a zero vector stays)."""
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.sqrt(np.dot(array, array)))
    return vector if norm < np.finfo(np.float32).eps else (array / np.float32(norm)).astype(float).tolist()


def prepare_vector(collection: Collection, name: str, value: Any, where: str) -> list[float]:
    """A query or point vector for the collection's vector ``name`` (normalised for Cosine)."""
    space = collection.space(name)
    vector = checked_vector(value, space.size, where)
    return normalised(vector) if space.distance == "Cosine" else vector


def _vectors_of(collection: Collection, value: Any, where: str) -> dict[str, list[float]]:
    """A point's vector(s) by embedder name."""
    if isinstance(value, list):
        if collection.named:
            raise bad_request("Vector with name `` is not configured in this collection")
        return {collection.spaces[UNNAMED].embedder: prepare_vector(collection, UNNAMED, value, where)}
    if isinstance(value, dict):
        out: dict[str, Any] = {space.embedder: None for space in collection.spaces.values()}  # null: no vector
        for name, vector in value.items():
            if name not in collection.spaces:
                raise bad_request(f"Not existing vector name error: {name}")
            out[collection.spaces[name].embedder] = prepare_vector(collection, name, vector, f"{where}.{name}")
        return out
    if value is None:
        return {space.embedder: None for space in collection.spaces.values()}
    raise bad_request(f"{where} must be a vector or an object of named vectors")


def parse_points(collection: Collection, body: Any) -> list[dict[str, Any]]:
    """Documents (without version) of ``{"points": [...]}`` or ``{"batch": {ids, vectors, payloads}}``."""
    if not isinstance(body, dict):
        raise bad_request("the body must be an object with `points` or `batch`")
    if "points" in body:
        points = body["points"]
        if not isinstance(points, list):
            raise bad_request("`points` must be an array")
        items = [(p.get("id") if isinstance(p, dict) else None, p.get("vector") if isinstance(p, dict) else None,
                  p.get("payload") if isinstance(p, dict) else None) for p in points]
    elif isinstance(body.get("batch"), dict):
        batch = body["batch"]
        ids, vectors, payloads = batch.get("ids") or [], batch.get("vectors"), batch.get("payloads")
        if isinstance(vectors, dict):
            rows = [{name: column[i] for name, column in vectors.items()} for i in range(len(ids))]
        else:
            rows = list(vectors or [])
        if len(rows) != len(ids) or (payloads is not None and len(payloads) != len(ids)):
            raise bad_request("batch: ids, vectors and payloads must have the same length")
        items = [(ids[i], rows[i], payloads[i] if payloads else None) for i in range(len(ids))]
    else:
        raise bad_request("the body must be an object with `points` or `batch`")
    documents = []
    for n, (raw_id, vector, payload) in enumerate(items):
        if payload is not None and not isinstance(payload, dict):
            raise bad_request(f"points[{n}].payload must be an object")
        vectors = _vectors_of(collection, vector, f"points[{n}].vector")
        if not collection.named and not any(v is not None for v in vectors.values()):
            raise bad_request(f"points[{n}].vector is missing")
        documents.append({"id": point_id(raw_id), "payload": payload or {}, "_vectors": vectors})
    return documents


def enqueue_upsert(engine: Any, uid: str, documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The documentAdditionOrUpdate task writing ``documents`` stamped with its own uid."""
    name = f"{uuidlib.uuid4()}.ndjson"
    path = engine.store.update_files / name

    def prepare(task_uid: int) -> dict[str, Any]:
        stamped = [{"id": d["id"], "version": task_uid, "payload": d["payload"], "_vectors": d["_vectors"]}
                   for d in documents]
        with open(path, "wb") as f:
            f.write(encode_update_file(stamped))
            f.flush()
            os.fsync(f.fileno())
        return {}

    op = {"file": name, "format": "ndjson", "method": "replace", "primaryKey": "id",
          "allowIndexCreation": False, "skipCreation": False}
    details = {"receivedDocuments": len(documents), "indexedDocuments": None}
    return engine.queue.enqueue("documentAdditionOrUpdate", uid, details, op, prepare=prepare)
