"""The contract every embedder keeps, whatever its source.

    embedder = make_embedder("default", stored_config)
    text = embedder.render(document, searchable)          # documentTemplate → text
    vectors = embedder.embed_documents([text, ...])       # indexing: batched, retried
    query = embedder.embed_query("kitchen utensils")      # search: one text

Invariant: ``embed_documents(texts)`` returns exactly ``len(texts)`` vectors, in order, each of
``dimensions`` floats — or raises :class:`EmbeddingError`, never a partial answer. Errors carry
upstream's text without the caller's prefix (see ``errors.py``).

``dimensions`` is the configured value when there is one; otherwise it is inferred once, the
first time it is asked, by embedding the text ``"test"`` (upstream does this when it builds the
embedder, so a failure there is a settings-task failure, worded ``could not determine model
dimensions``).
"""
from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .template import DEFAULT_MAX_BYTES, DEFAULT_TEMPLATE, DocumentTemplate


@dataclass(frozen=True)
class RetryPolicy:
    """How hard remote embedders try (milli ``rest.rs``: 10 retried attempts, then a last one).

    ``delay_scale`` multiplies every wait: 1.0 in production, tiny in tests so that a
    "500 then 200" scenario does not sleep. ``max_wait`` caps one wait
    (``MEILI_EXPERIMENTAL_REST_EMBEDDER_MAX_RETRY_DURATION_SECONDS``, 60 s) and ``timeout``
    bounds one request (``MEILI_EXPERIMENTAL_REST_EMBEDDER_TIMEOUT_SECONDS``, 30 s).
    """

    retries: int = 10
    delay_scale: float = 1.0
    max_wait: float = 60.0
    timeout: float = 30.0
    parallelism: int = 4  # chunks of one embed_documents call sent at once

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RetryPolicy:
        """Upstream's two experimental knobs, read from the environment like Meilisearch does."""
        env = os.environ if environ is None else environ
        policy = cls()
        timeout = env.get("MEILI_EXPERIMENTAL_REST_EMBEDDER_TIMEOUT_SECONDS")
        max_wait = env.get("MEILI_EXPERIMENTAL_REST_EMBEDDER_MAX_RETRY_DURATION_SECONDS")
        return cls(
            retries=policy.retries,
            delay_scale=policy.delay_scale,
            max_wait=float(max_wait) if max_wait else policy.max_wait,
            timeout=float(timeout) if timeout else policy.timeout,
            parallelism=policy.parallelism,
        )


DEFAULT_RETRY = RetryPolicy.from_env()


def deadline_in(seconds: float | None) -> float | None:
    """An absolute ``time.monotonic()`` deadline, as embed_query takes it."""
    return None if seconds is None else time.monotonic() + seconds


class Embedder(ABC):
    """One configured embedder; build it with ``make_embedder``."""

    source: str = ""
    uses_template: bool = True
    # texts per embed_documents call that keep every worker busy yet let the caller report
    # progress often; any count works, this is only advice
    batch_hint: int = 100

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        self.name = name
        self.config = config
        self.template: DocumentTemplate | None = None
        if self.uses_template:
            self.template = DocumentTemplate(
                config.get("documentTemplate") or DEFAULT_TEMPLATE,
                config.get("documentTemplateMaxBytes") or DEFAULT_MAX_BYTES,
            )
        self._dimensions: int | None = config.get("dimensions")

    # -- what the vector store needs to know ----------------------------------------------------

    @property
    def dimensions(self) -> int | None:
        """Length of every vector; inferred by a test embedding when not configured."""
        if self._dimensions is None:
            self._dimensions = self.infer_dimensions()
        return self._dimensions

    @property
    def known_dimensions(self) -> int | None:
        """The dimensions if known without asking the model or the server."""
        return self._dimensions

    def infer_dimensions(self) -> int | None:
        return None

    def assume_dimensions(self, dimensions: int) -> None:
        """Take the dimensions the vector store learnt from this embedder's earlier embeddings, so
        that no test embedding is sent again (configured dimensions always win)."""
        if self._dimensions is None and dimensions:
            self._dimensions = dimensions

    @property
    def distribution(self) -> dict[str, float] | None:
        """``{"mean", "sigma"}`` to shift similarity scores (configured, or the model's own)."""
        return self.config.get("distribution")

    @property
    def binary_quantized(self) -> bool:
        return bool(self.config.get("binaryQuantized"))

    # -- text -----------------------------------------------------------------------------------

    def render(self, document: dict, searchable: Callable[[str], bool], external_id: str | None = None) -> str:
        """The document's text through documentTemplate (whole: see ``template.py``)."""
        if self.template is None:
            return ""
        return self.template.render(document, searchable, external_id)

    # -- vectors --------------------------------------------------------------------------------

    @abstractmethod
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order (indexing path)."""

    @abstractmethod
    def embed_query(self, text: str, deadline: float | None = None) -> list[float]:
        """The vector of a search query; ``deadline`` is a ``time.monotonic()`` instant."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} source={self.source}>"
