"""Embedders: documents and queries to vectors, one class per ``source`` (hybrid.md §1).

    from engine.embedders import make_embedder, Embedder, EmbeddingError
    embedder = make_embedder("default", index_settings["embedders"]["default"])

``config`` is the embedder as the settings store it (camelCase keys, already validated by
``engine.settings.embedders``); defaults the settings did not fill are filled here.

    module          concept
    base.py         the Embedder contract, RetryPolicy
    template.py     documentTemplate (Liquid), values printed as upstream prints them, truncation
    json_template   request/response templates: inject texts, extract embeddings, upstream's errors
    transport.py    one HTTP POST and the classification of its failures
    rest.py         rest source and the retrying client that openAi/ollama share
    openai.py, ollama.py, manual.py (userProvided), composite.py
    huggingface.py  the local model: bert.py (numpy forward pass), wordpiece.py (tokenizer)

For the vector store and the indexer:

* ``embedder.dimensions`` may do I/O once (a test embedding) when the settings gave none;
  ``known_dimensions`` never does.
* ``embedder.render(doc, searchable, external_id=None)`` gives the whole text (no
  documentTemplateMaxBytes cut, hybrid.md §8.4); hash it to skip documents whose text did not change.
* ``embed_documents`` takes any number of texts; ``batch_hint`` says how many per call keep the
  remote or the CPU busy while leaving room to report progress between calls.
* ``embed_query(text, deadline=None)`` stops retrying at ``deadline`` (``time.monotonic()``).
* Errors are :class:`EmbeddingError` with upstream's text; prefix them as ``errors.py`` says.
"""
from __future__ import annotations

from typing import Any

from . import base
from .base import Embedder, RetryPolicy, deadline_in
from .errors import EmbedderSetupError, EmbeddingError, TemplateRenderError
from .template import DocumentTemplate, truncate_to_bytes

__all__ = [
    "DocumentTemplate",
    "Embedder",
    "EmbedderSetupError",
    "EmbeddingError",
    "RetryPolicy",
    "TemplateRenderError",
    "deadline_in",
    "make_embedder",
    "truncate_to_bytes",
]


def make_embedder(name: str, config: dict[str, Any], *, retry: RetryPolicy | None = None) -> Embedder:
    """The embedder for one stored configuration; ``source`` defaults to ``openAi`` as upstream.

    Raises :class:`EmbedderSetupError` when it cannot be built (unparsable template, unknown
    model, huggingFace without the optional extra, composite sides that disagree). Remote
    sources do no I/O here unless ``dimensions`` must be inferred — that happens on first use
    of ``dimensions`` — except ``composite``, which checks its two sides at once as upstream does.
    """
    if retry is None:  # read now, not at import: tests of the engine put a policy that never sleeps
        retry = base.DEFAULT_RETRY
    source = config.get("source") or "openAi"
    if source == "userProvided":
        from .manual import UserProvidedEmbedder

        return UserProvidedEmbedder(name, config)
    if source == "rest":
        from .rest import RestEmbedder

        return RestEmbedder(name, config, retry)
    if source == "openAi":
        from .openai import OpenAiEmbedder

        return OpenAiEmbedder(name, config, retry)
    if source == "ollama":
        from .ollama import OllamaEmbedder

        return OllamaEmbedder(name, config, retry)
    if source == "huggingFace":
        from .huggingface import HuggingFaceEmbedder

        return HuggingFaceEmbedder(name, config)
    if source == "composite":
        from .composite import CompositeEmbedder

        return CompositeEmbedder(name, config, lambda n, c: make_embedder(n, c, retry=retry))
    raise EmbedderSetupError(f"unknown embedder source `{source}`")
