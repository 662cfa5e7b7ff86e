"""Loupe's search engine, usable as a library::

    from engine import Engine, Query

    movies = Engine("./data.ms").index("movies")
    result = movies.execute(Query(text="carol", limit=5, scores=True))   # typed: hits, scores, totals
    movies.search("carol", limit=5)                                        # Meilisearch's JSON

The names below load on first use, so `import engine` stays cheap for code that only needs one
module (the worker process, the CLI).
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import LoupeError

_LAZY = {
    "Engine": "engine.engine",
    "Index": "engine.index",
    "Query": "engine.search.query",
    "SearchResult": "engine.search.query",
    "Semantic": "engine.search.query",
}

__all__ = ["Engine", "Index", "LoupeError", "Query", "SearchResult", "Semantic"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    return getattr(import_module(module), name)
