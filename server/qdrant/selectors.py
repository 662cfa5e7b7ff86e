"""``with_payload`` and ``with_vector(s)``: what of a point a result shows.

    with_payload: false | true | ["city", "a.b", "arr[].x"] | {"include": [...]} | {"exclude": [...]}
    with_vector:  false | true | ["image", ...]

Nested paths select (or drop) the sub-tree they name; ``arr[].x`` reaches into every element of
an array.  Vectors show as stored (float32, shortest decimal; Cosine ones normalised): the
unnamed vector as an array, named ones as an object.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from engine.search.hybrid import f32_vector

from .collections import UNNAMED, Collection
from .errors import bad_request


@dataclass(frozen=True)
class PayloadSelector:
    mode: str  # "none" | "all" | "include" | "exclude"
    paths: tuple[str, ...] = ()

    def apply(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        if self.mode == "none":
            return None
        if self.mode == "all":
            return payload
        if self.mode == "include":
            out: dict[str, Any] = {}
            for path in self.paths:
                _merge(out, _pick(payload, path.split(".")))
            return out
        out = copy.deepcopy(payload)
        for path in self.paths:
            _drop(out, path.split("."))
        return out


def _pick(value: Any, parts: list[str]) -> Any:
    """The sub-tree of ``value`` at ``parts`` (None when absent)."""
    head, rest = parts[0], parts[1:]
    array = head.endswith("[]")
    name = head[:-2] if array else head
    if not isinstance(value, dict) or name not in value:
        return None
    found = value[name]
    if not rest:
        return {name: found}
    if isinstance(found, list):
        items = [_pick(item, rest) for item in found]
        kept = [item for item in items if item is not None]
        return {name: kept} if kept else None
    inner = _pick(found, rest)
    return {name: inner} if inner is not None else None


def _merge(target: dict[str, Any], picked: Any) -> None:
    if not isinstance(picked, dict):
        return
    for key, value in picked.items():
        if key in target and isinstance(target[key], dict) and isinstance(value, dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _drop(value: Any, parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    name = head[:-2] if head.endswith("[]") else head
    if not isinstance(value, dict) or name not in value:
        return
    if not rest:
        del value[name]
        return
    found = value[name]
    for item in found if isinstance(found, list) else [found]:
        _drop(item, rest)


def payload_selector(value: Any) -> PayloadSelector:
    if value is None or value is False:
        return PayloadSelector("none")
    if value is True:
        return PayloadSelector("all")
    if isinstance(value, list) and all(isinstance(p, str) for p in value):
        return PayloadSelector("include", tuple(value))
    if isinstance(value, dict) and len(value) == 1:
        (mode, paths), = value.items()
        if mode in ("include", "exclude") and isinstance(paths, list) and all(isinstance(p, str) for p in paths):
            return PayloadSelector(mode, tuple(paths))
    raise bad_request("Format error in JSON body: `with_payload` must be a boolean, an array of paths, "
                      "{\"include\": […]} or {\"exclude\": […]}")


@dataclass(frozen=True)
class VectorSelector:
    names: tuple[str, ...] | None  # None: every vector
    enabled: bool = True

    def apply(self, collection: Collection, vectors: dict[str, Any]) -> Any:
        """The point's vectors as Qdrant shows them; ``vectors`` is `_vectors` with embeddings."""
        if not self.enabled:
            return None
        shown = {}
        for name, space in collection.spaces.items():
            if self.names is not None and name not in self.names:
                continue
            embeddings = ((vectors or {}).get(space.embedder) or {}).get("embeddings") or []
            if embeddings:
                shown[name] = list(f32_vector(embeddings[0]))
        if not collection.named:
            return shown.get(UNNAMED)
        return shown


def vector_selector(value: Any) -> VectorSelector:
    if value is None or value is False:
        return VectorSelector(None, enabled=False)
    if value is True:
        return VectorSelector(None)
    if isinstance(value, list) and all(isinstance(n, str) for n in value):
        return VectorSelector(tuple(value))
    raise bad_request("Format error in JSON body: `with_vector` must be a boolean or an array of vector names")
