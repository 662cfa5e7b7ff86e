"""``source: openAi`` — OpenAI's embeddings API through the rest machinery.

Fixed shapes (milli ``embedder/openai.rs``)::

    request  {"model": <model>, "input": ["{{text}}", "{{..}}"], "dimensions": <n, -3 models only>}
    response {"data": [{"embedding": "{{embedding}}"}, "{{..}}"]}

Dimensions are the model's own (ada-002: 1536, fixed; 3-small: 1536; 3-large: 3072) unless a
``-3`` model is given a smaller ``dimensions`` (validated by the settings). The key is
``apiKey``, else ``MEILI_OPENAI_API_KEY``, else ``OPENAI_API_KEY``; an empty key sends no
``Authorization`` header. Each model has a built-in score distribution used when none is
configured.

Not ported: on HTTP 400 upstream re-embeds the texts one by one after cutting them to 8191
tokens with tiktoken; Loupe has no offline tiktoken, so a 400 is reported as it is.
"""
from __future__ import annotations

import os
from typing import Any

from .base import DEFAULT_RETRY, RetryPolicy
from .errors import USER, EmbedderSetupError
from .rest import EMBEDDING, REPEAT, TEXT, RemoteEmbedder, RestClient
from .transport import OPENAI

OPENAI_URL = "https://api.openai.com/v1/embeddings"
DEFAULT_MODEL = "text-embedding-3-small"
# model -> (native dimensions, may be overridden, built-in distribution)
MODELS: dict[str, tuple[int, bool, dict[str, float]]] = {
    "text-embedding-ada-002": (1536, False, {"mean": 0.90, "sigma": 0.08}),
    "text-embedding-3-small": (1536, True, {"mean": 0.75, "sigma": 0.1}),
    "text-embedding-3-large": (3072, True, {"mean": 0.70, "sigma": 0.1}),
}


def infer_api_key(environ: dict[str, str] | None = None) -> str:
    """``MEILI_OPENAI_API_KEY`` first, then ``OPENAI_API_KEY``, else empty (hybrid.md §8.1)."""
    env = os.environ if environ is None else environ
    if "MEILI_OPENAI_API_KEY" in env:
        return env["MEILI_OPENAI_API_KEY"]
    return env.get("OPENAI_API_KEY", "")


class OpenAiEmbedder(RemoteEmbedder):
    source = "openAi"

    def __init__(self, name: str, config: dict[str, Any], retry: RetryPolicy = DEFAULT_RETRY) -> None:
        super().__init__(name, config)
        self.model = config.get("model") or DEFAULT_MODEL
        if self.model not in MODELS:  # the settings refuse it first; this guards direct use
            supported = ", ".join(f'"{m}"' for m in MODELS)
            raise EmbedderSetupError.of(USER, f"Invalid model `{self.model}` for OpenAI. Supported models: [{supported}]")
        native, overridable, self._builtin_distribution = MODELS[self.model]
        requested = config.get("dimensions")
        self._dimensions = requested if (overridable and requested) else native
        request: dict[str, Any] = {"model": self.model, "input": [TEXT, REPEAT]}
        if overridable and requested:
            request["dimensions"] = requested
        api_key = config.get("apiKey")
        if api_key is None:
            api_key = infer_api_key()
        self.client = RestClient(
            config.get("url") or OPENAI_URL,
            request,
            {"data": [{"embedding": EMBEDDING}, REPEAT]},
            api_key=api_key or None,
            configured_by=OPENAI,
            retry=retry,
        )

    @property
    def distribution(self) -> dict[str, float] | None:
        return self.config.get("distribution") or dict(self._builtin_distribution)
