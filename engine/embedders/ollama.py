"""``source: ollama`` — an Ollama server through the rest machinery (milli ``embedder/ollama.rs``).

The URL decides the API (``MEILI_OLLAMA_URL`` or ``http://localhost:11434/api/embeddings`` when
none is configured)::

    …/api/embeddings   {"model": m, "prompt": "{{text}}"}                 → {"embedding": "{{embedding}}"}
    …/api/embed        {"model": m, "input": ["{{text}}", "{{..}}"]}       → {"embeddings": ["{{embedding}}", "{{..}}"]}

Ollama answers 404 for a model it has not pulled; that is reported as "model not found",
both when inferring dimensions and when embedding.
"""
from __future__ import annotations

import os
from typing import Any

from .base import DEFAULT_RETRY, RetryPolicy
from .errors import USER, EmbedderSetupError, EmbeddingError, option_info
from .rest import (
    EMBEDDING,
    REPEAT,
    TEXT,
    RemoteEmbedder,
    RestClient,
    could_not_determine_dimensions,
)
from .transport import OLLAMA

DEFAULT_URL = "http://localhost:11434/api/embeddings"


def default_url() -> str:
    return os.environ.get("MEILI_OLLAMA_URL", DEFAULT_URL)


def templates_for(url: str, model: str) -> tuple[Any, Any]:
    """Request and response templates for the API the URL names (``/api/embeddings`` checked first)."""
    if url.endswith("/api/embeddings"):
        return {"model": model, "prompt": TEXT}, {"embedding": EMBEDDING}
    if url.endswith("/api/embed"):
        return {"model": model, "input": [TEXT, REPEAT]}, {"embeddings": [EMBEDDING, REPEAT]}
    raise EmbedderSetupError.of(
        USER,
        "unsupported Ollama URL.\n  - For `ollama` sources, the URL must end with `/api/embed` or "
        f"`/api/embeddings`\n  - Got `{url}`",
    )


def model_not_found(error: EmbeddingError) -> EmbeddingError:
    """A 404 from Ollama means the model was never pulled; say so, keeping the server's reply."""
    if error.status != 404:
        return error
    return EmbeddingError.of(
        USER,
        "model not found. Meilisearch will not automatically download models from the Ollama library, "
        "please pull the model manually" + option_info(error.body, "server replied with "),
    )


class OllamaEmbedder(RemoteEmbedder):
    source = "ollama"

    def __init__(self, name: str, config: dict[str, Any], retry: RetryPolicy = DEFAULT_RETRY) -> None:
        super().__init__(name, config)
        url = config.get("url") or default_url()
        request, response = templates_for(url, config["model"])
        self.client = RestClient(
            url, request, response, api_key=config.get("apiKey"), configured_by=OLLAMA, retry=retry
        )

    def _setup_error(self, error: EmbeddingError) -> EmbedderSetupError:
        return could_not_determine_dimensions(model_not_found(error))

    def _embed_error(self, error: EmbeddingError) -> EmbeddingError:
        return model_not_found(error)
