"""``source: userProvided`` — vectors come with the documents (``_vectors``) and the queries (``vector``).

Such an embedder has no template and cannot embed text: asking it to is a user error whose
message quotes the first 250 characters of the text (milli ``embedder/manual.rs``). Search
turns that into ``Error while generating embeddings: user error: attempt to embed …`` for a
semantic query, and into a silent keyword fallback for a hybrid one (hybrid.md §4.4, §5).
"""
from __future__ import annotations

from typing import Any

from .base import Embedder
from .errors import USER, EmbeddingError

QUOTED_CHARS = 250


def manual_embed_error(text: str) -> EmbeddingError:
    error = EmbeddingError.of(
        USER,
        "attempt to embed the following text in a configuration where embeddings must be user provided:\n"
        f"  - `{text[:QUOTED_CHARS]}`",
    )
    error.kind = "manual_embed"
    return error


class UserProvidedEmbedder(Embedder):
    source = "userProvided"
    uses_template = False

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        super().__init__(name, config)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        raise manual_embed_error(texts[0])

    def embed_query(self, text: str, deadline: float | None = None) -> list[float]:
        raise manual_embed_error(text)
