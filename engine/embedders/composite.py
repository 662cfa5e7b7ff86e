"""``source: composite`` — one embedder for documents, another for queries (milli ``embedder/composite.rs``).

Typical use: a local model at search time, the same model behind a remote API at indexing time.
The two must agree, so building a composite embedder checks, as upstream does:

1. both have the same dimensions;
2. both embed three probe texts to vectors at most 0.01 apart in angular distance
   ``(1 − cos) / 2`` — unless a side cannot embed text at all (userProvided), which fails the
   check with that side's error.

Documents (and the documentTemplate) go through ``indexingEmbedder``, queries through
``searchEmbedder``; the distribution is the search side's, else the indexing side's.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .base import Embedder
from .errors import RUNTIME, USER, EmbedderSetupError, EmbeddingError
from .stats import CURRENT

MAX_DISTANCE = 0.01
PROBES = ["test", "a brave dog", "This is a sample text. It is meant to compare similarity."]


def angular_distance(a: list[float], b: list[float]) -> float:
    """``(1 − cos) / 2`` in [0, 1]; zero vectors count as identical."""
    dot = sum(x * y for x, y in zip(a, b))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    if norms <= 1.1920929e-07:
        return 0.0
    cosine = max(-1.0, min(1.0, dot / norms))
    return (1.0 - cosine) / 2.0


def _hint(search: Embedder, index: Embedder) -> str:
    hf = ("huggingFace" == search.source, "huggingFace" == index.source)
    if hf == (True, True):
        return "\n  - Make sure the `model`, `revision` and `pooling` of both embedders match."
    if hf[0]:
        return "\n  - Consider trying a different `pooling` method for the search embedder."
    if hf[1]:
        return "\n  - Consider trying a different `pooling` method for the indexing embedder."
    return ""


def _test_embeddings(embedder: Embedder, side: str) -> list[list[float]]:
    """The probes, uncounted: upstream sends them while building the embedder, outside any batch's
    `embedderRequests`."""
    token = CURRENT.set(None)
    try:
        return embedder.embed_documents(list(PROBES))
    except EmbeddingError as error:
        raise EmbedderSetupError.of(
            RUNTIME,
            "error while generating test embeddings.\n  - could not generate test embedding with embedder at "
            f"{side} time.\n  - Embedding failed with {error.message}",
        ) from None
    finally:
        CURRENT.reset(token)


def check_agreement(search: Embedder, index: Embedder) -> None:
    """Upstream's construction checks: same dimensions, then near-identical probe vectors."""
    if search.dimensions != index.dimensions:
        raise EmbedderSetupError.of(
            USER,
            "error while generating test embeddings.\n  - the dimensions of embeddings produced at search time and at "
            f"indexing time don't match.\n  - Search time dimensions: {search.dimensions}\n  - Indexing time "
            f"dimensions: {index.dimensions}\n  - Note: Dimensions of embeddings produced by both embedders are "
            "required to match.",
        )
    left, right = _test_embeddings(search, "search"), _test_embeddings(index, "indexing")
    if len(left) != len(right):
        raise EmbedderSetupError.of(
            RUNTIME,
            "error while generating test embeddings.\n  - the number of generated embeddings differs.\n"
            f"  - {len(left)} embeddings for the search time embedder.\n  - {len(right)} embeddings for the "
            "indexing time embedder.",
        )
    for a, b in zip(left, right):
        distance = angular_distance(a, b)
        if distance > MAX_DISTANCE:
            raise EmbedderSetupError.of(
                USER,
                "error while generating test embeddings.\n  - the embeddings produced at search time and indexing "
                f"time are not similar enough.\n  - angular distance {distance:.2f}\n  - Meilisearch requires a "
                f"maximum distance of {MAX_DISTANCE}.\n  - Note: check that both embedders produce similar "
                f"embeddings.{_hint(search, index)}",
            )


class CompositeEmbedder(Embedder):
    source = "composite"
    uses_template = False

    def __init__(self, name: str, config: dict[str, Any], build: Callable[[str, dict], Embedder], check: bool = True) -> None:
        super().__init__(name, config)
        self.search = build(name, config["searchEmbedder"])
        self.indexing = build(name, config["indexingEmbedder"])
        self.template = self.indexing.template
        if check:
            check_agreement(self.search, self.indexing)
        self._dimensions = self.indexing.known_dimensions

    def infer_dimensions(self) -> int | None:
        return self.indexing.dimensions

    def assume_dimensions(self, dimensions: int) -> None:
        """Both sides embed with these dimensions (checked when the composite was built)."""
        super().assume_dimensions(dimensions)
        self.search.assume_dimensions(dimensions)
        self.indexing.assume_dimensions(dimensions)

    @property
    def distribution(self) -> dict[str, float] | None:
        return self.config.get("distribution") or self.search.distribution or self.indexing.distribution

    def render(self, document: dict, searchable: Callable[[str], bool], external_id: str | None = None) -> str:
        return self.indexing.render(document, searchable, external_id)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.indexing.embed_documents(texts)

    def embed_query(self, text: str, deadline: float | None = None) -> list[float]:
        return self.search.embed_query(text, deadline)
