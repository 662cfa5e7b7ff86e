"""Collections as Loupe indexes: names, vector configurations and the index settings.

    PUT /collections/films {"vectors": {"size": 4, "distance": "Cosine"}}
      -> index `qdrant_films`, embedder `~Cosine` (userProvided, 4 dimensions),
         filterableAttributes ["id", "payload"]
    PUT /collections/media {"vectors": {"image": {"size": 3, "distance": "Dot"}, "text": {...}}}
      -> embedders `image~Dot`, `text~…`
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import bad_request

PREFIX = "qdrant_"
DISTANCES = ("Cosine", "Dot", "Euclid", "Manhattan")
UNNAMED = ""
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


@dataclass(frozen=True)
class VectorSpace:
    """One vector of a collection: its name ("" for the unnamed one), size and distance."""

    name: str
    size: int
    distance: str

    @property
    def embedder(self) -> str:
        return f"{self.name}~{self.distance}"

    def view(self) -> dict[str, Any]:
        return {"size": self.size, "distance": self.distance}


@dataclass(frozen=True)
class Collection:
    name: str
    spaces: dict[str, VectorSpace]

    @property
    def uid(self) -> str:
        return PREFIX + self.name

    @property
    def named(self) -> bool:
        return UNNAMED not in self.spaces

    def space(self, using: str | None) -> VectorSpace:
        """The vector a search uses: ``using`` (or the unnamed one)."""
        key = using or UNNAMED
        if key not in self.spaces:
            if key == UNNAMED:
                raise bad_request("Vector with name `` is not configured in this collection, "
                                  f"available names: {', '.join(sorted(self.spaces))}")
            raise bad_request(f"Not existing vector name error: {key}")
        return self.spaces[key]

    def vectors_view(self) -> dict[str, Any]:
        if not self.named:
            return self.spaces[UNNAMED].view()
        return {name: space.view() for name, space in sorted(self.spaces.items())}


def index_uid(name: str) -> str:
    if not _NAME.match(name):
        raise bad_request(f"Collection name `{name}` is invalid: use 1 to 255 letters, digits, `-` or `_`")
    return PREFIX + name


def uid_or_none(params: dict[str, str]) -> str | None:
    """The index a route's path names, for the key check."""
    name = params.get("collection")
    return PREFIX + name if name is not None and _NAME.match(name) else None


def name_of(uid: str) -> str | None:
    return uid[len(PREFIX):] if uid.startswith(PREFIX) and _NAME.match(uid[len(PREFIX):]) else None


def _space(name: str, value: Any, where: str) -> VectorSpace:
    if not isinstance(value, dict):
        raise bad_request(f"{where} must be an object with `size` and `distance`")
    size, distance = value.get("size"), value.get("distance")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise bad_request(f"{where}.size must be a positive integer")
    if distance not in DISTANCES:
        raise bad_request(f"{where}.distance must be one of {', '.join(DISTANCES)}, got {distance!r}")
    return VectorSpace(name, size, distance)


def parse_vectors(body: Any) -> dict[str, VectorSpace]:
    """The ``vectors`` of a collection creation body: one unnamed vector or named ones."""
    if not isinstance(body, dict) or "vectors" not in body:
        raise bad_request("the body must be an object with `vectors`")
    vectors = body["vectors"]
    if isinstance(vectors, dict) and "size" in vectors:
        return {UNNAMED: _space(UNNAMED, vectors, "vectors")}
    if not isinstance(vectors, dict) or not vectors:
        raise bad_request("`vectors` must be {size, distance} or a map of named vectors")
    spaces = {}
    for name, value in vectors.items():
        if not name or "~" in name:
            raise bad_request(f"vector name `{name}` is invalid")
        spaces[name] = _space(name, value, f"vectors.{name}")
    return spaces


def index_settings(spaces: dict[str, VectorSpace]) -> dict[str, Any]:
    return {"embedders": {s.embedder: {"source": "userProvided", "dimensions": s.size} for s in spaces.values()},
            "filterableAttributes": ["id", "payload"], "searchableAttributes": []}


def from_settings(name: str, settings: dict[str, Any]) -> Collection:
    spaces = {}
    for embedder, config in (settings.get("embedders") or {}).items():
        vector, sep, distance = embedder.rpartition("~")
        if sep and distance in DISTANCES:
            spaces[vector] = VectorSpace(vector, config.get("dimensions"), distance)
    return Collection(name, spaces)


def info_view(collection: Collection, points: int) -> dict[str, Any]:
    """GET /collections/{c}: Qdrant's CollectionInfo with Loupe's one segment."""
    return {
        "status": "green", "optimizer_status": "ok", "indexed_vectors_count": points, "points_count": points,
        "segments_count": 1,
        "config": {
            "params": {"vectors": collection.vectors_view(), "shard_number": 1, "replication_factor": 1,
                       "write_consistency_factor": 1, "on_disk_payload": True},
            "hnsw_config": {"m": 16, "ef_construct": 100, "full_scan_threshold": 2000, "max_indexing_threads": 0,
                            "on_disk": False},
            "optimizer_config": {"deleted_threshold": 0.2, "vacuum_min_vector_number": 1000,
                                 "default_segment_number": 0, "max_segment_size": None, "memmap_threshold": None,
                                 "indexing_threshold": 2000, "flush_interval_sec": 5,
                                 "max_optimization_threads": None},
            "wal_config": {"wal_capacity_mb": 32, "wal_segments_ahead": 0},
            "quantization_config": None,
        },
        "payload_schema": {},
    }
