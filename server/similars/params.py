"""Query-string parameters of the similars API, validated as the seed lists them.

    limit / count   integer 1–200, default 10 (aliases; both given must agree)
    offset          integer ≥ 0, default 0
    threshold       number 0.0–1.0, default 0.5 (similarity routes only)
    metadata_path + metadata_value   both or neither (similarity routes only)

A violation is a 400 ``{"title": "Bad Request", "status": 400, "detail": "limit must be between 1
and 200"}``.  Unknown parameters are ignored (the seed does not reject them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from .errors import bad_request

DEFAULT_LIMIT, MAX_LIMIT = 10, 200
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Page:
    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass(frozen=True)
class SimilarParams:
    page: Page
    threshold: float = DEFAULT_THRESHOLD
    metadata_path: str | None = None
    metadata_value: str | None = None


def _integer(name: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None


def _limit(query: Mapping[str, str], names: tuple[str, ...]) -> int:
    values = {}
    for name in names:
        if name in query:
            value = _integer(name, query[name])
            if not 1 <= value <= MAX_LIMIT:
                raise bad_request(f"{name} must be between 1 and {MAX_LIMIT}")
            values[name] = value
    if len(set(values.values())) > 1:
        raise bad_request("count and limit are aliases and must not differ")
    return next(iter(values.values()), DEFAULT_LIMIT)


def parse_page(query: Mapping[str, str], limit_names: tuple[str, ...] = ("limit",)) -> Page:
    offset = _integer("offset", query["offset"]) if "offset" in query else 0
    if offset < 0:
        raise bad_request("offset must not be negative")
    return Page(_limit(query, limit_names), offset)


def parse_similar(query: Mapping[str, str]) -> SimilarParams:
    page = parse_page(query, ("count", "limit"))
    threshold = DEFAULT_THRESHOLD
    if "threshold" in query:
        try:
            threshold = float(query["threshold"].strip())
        except ValueError:
            raise bad_request("threshold must be a number") from None
        if math.isnan(threshold) or not 0.0 <= threshold <= 1.0:
            raise bad_request("threshold must be between 0.0 and 1.0")
    path, value = query.get("metadata_path"), query.get("metadata_value")
    if path is not None and value is None:
        raise bad_request("metadata_path requires metadata_value")
    if value is not None and path is None:
        raise bad_request("metadata_value requires metadata_path")
    if path is not None and not all(path.split(".")):
        raise bad_request(f"metadata_path `{path}` is not a dotted path")
    return SimilarParams(page, threshold, path, value)
