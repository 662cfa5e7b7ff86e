"""Namespaces as Loupe indexes: names, the distance metric and the full-text attributes."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import bad_request

PREFIX = "tpuf_"
METRICS = ("cosine_distance", "euclidean_squared")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def index_uid(namespace: str) -> str:
    if not _NAME.match(namespace):
        raise bad_request(f"invalid namespace name `{namespace}`: use 1 to 128 letters, digits, `-` or `_`")
    return PREFIX + namespace


def uid_or_none(params: dict[str, str]) -> str | None:
    name = params.get("namespace")
    return PREFIX + name if name is not None and _NAME.match(name) else None


@dataclass(frozen=True)
class Namespace:
    name: str
    metric: str | None       # None: no vector written yet
    dimensions: int | None
    full_text: tuple[str, ...]

    @property
    def embedder(self) -> str | None:
        return None if self.metric is None else f"vector~{self.metric}"


def from_settings(name: str, settings: dict[str, Any]) -> Namespace:
    metric = dimensions = None
    for embedder, config in (settings.get("embedders") or {}).items():
        prefix, sep, found = embedder.partition("~")
        if prefix == "vector" and found in METRICS:
            metric, dimensions = found, config.get("dimensions")
    searchable = settings.get("searchableAttributes") or []
    full_text = tuple(a[len("attrs."):] for a in searchable if a.startswith("attrs."))
    return Namespace(name, metric, dimensions, full_text)


def settings_patch(namespace: Namespace | None, metric: str | None, dimensions: int | None,
                   full_text: set[str]) -> dict[str, Any]:
    """What a write changes in the index settings (empty: nothing)."""
    patch: dict[str, Any] = {}
    if dimensions is not None and (namespace is None or namespace.metric is None):
        patch["embedders"] = {f"vector~{metric or 'cosine_distance'}": {"source": "userProvided",
                                                                        "dimensions": dimensions}}
    if namespace is None:
        patch["filterableAttributes"] = ["id", "attrs"]  # for tenant tokens' filters (the dialect filters itself)
    known = set(namespace.full_text) if namespace is not None else set()
    if namespace is None or not full_text <= known:
        patch["searchableAttributes"] = [f"attrs.{a}" for a in sorted(known | full_text)]
    return patch
