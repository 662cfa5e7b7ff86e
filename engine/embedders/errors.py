"""Errors of the embedders, worded as Meilisearch words them (milli ``vector/error.rs``).

Upstream formats every embedding failure as ``"{fault}: {kind}"`` where the fault is who is to
blame — ``user error``, ``runtime error``, ``coding error`` or plain ``error`` when it cannot
tell (an unexpected HTTP status). :class:`EmbeddingError` carries exactly that text and no more.

Callers add the context themselves, as upstream's callers do:

* the indexer: ``While embedding documents for embedder `x`: {message}`` (built in milli's
  embedding extractor, ``update/new/extract/vectors``, code ``vector_embedding_error``; the
  settings task adds ``Index `uid`: `` in front). When a userProvided embedder was asked to
  embed (``kind == "manual_embed"``), the extractor replaces the message with its own
  ``no vectors provided for document `id```… text instead;
* search (query embedding): ``Error while generating embeddings: {message}`` (milli
  ``vector::Error``'s Display, surfaced as ``vector_embedding_error``).
"""
from __future__ import annotations

from typing import Self

USER = "user error"
RUNTIME = "runtime error"
BUG = "coding error"
UNDECIDED = "error"


class EmbeddingError(Exception):
    """An embedder could not be built or could not embed; ``message`` is upstream's text."""

    def __init__(self, message: str, fault: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fault = fault
        self.status: int | None = None  # the HTTP status, when a remote answered with an error
        self.body: str | None = None  # and what it replied
        self.kind: str | None = None  # "manual_embed" for userProvided; callers reword that one

    @classmethod
    def of(cls, fault: str, kind: str) -> Self:
        """``"{fault}: {kind}"``, the shape of milli's ``EmbedError`` and ``NewEmbedderError``."""
        return cls(f"{fault}: {kind}", fault)

    def __str__(self) -> str:
        return self.message


class EmbedderSetupError(EmbeddingError):
    """The embedder cannot be built (milli ``NewEmbedderError``): bad template, no model, no dimensions."""


class TemplateRenderError(EmbeddingError):
    """The documentTemplate failed on one document (milli ``RenderPromptError``)."""


def option_info(info: str | None, prefix: str) -> str:
    """Upstream's ``option_info``: an optional ``\\n  - {prefix}`{info}``` line."""
    return "" if info is None else f"\n  - {prefix}`{info}`"
