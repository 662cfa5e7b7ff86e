"""The ``rest`` source: any JSON embedding API described by a request and a response template.

``openAi`` and ``ollama`` are this same machinery with fixed templates (``openai.py``,
``ollama.py``), as they are upstream. One call of :meth:`RestClient.embed` is one HTTP request
carrying one text (single template) or up to ten (batch template, ``"{{..}}"``); failures are
retried by :func:`wait_before_retry`'s schedule, and every answer is checked for the right
number of embeddings and the right dimensions before it is accepted.
"""
from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .base import DEFAULT_RETRY, Embedder, RetryPolicy
from .errors import RUNTIME, USER, EmbedderSetupError, EmbeddingError
from .stats import CURRENT, EmbedderRequests
from .json_template import (
    ExtractionError,
    InjectableValue,
    TemplateParseError,
    to_embedding,
)
from .transport import GIVE_UP, RATE_LIMITED, USER_CONFIGURED, Failure, post_json

TEXT = "{{text}}"
FRAGMENT = "{{fragment}}"
EMBEDDING = "{{embedding}}"
REPEAT = "{{..}}"
BATCH_SIZE = 10  # texts per request when the request template repeats (upstream's chunk hint)


def wait_before_retry(strategy: str, attempt: int, policy: RetryPolicy) -> float:
    """Seconds to sleep after failed attempt ``attempt`` (0-based): 10^n ms, or 100 + 10^n ms
    when rate-limited; capped at ``max_wait``; then randomly shortened by up to half."""
    millis = 10 ** attempt + (100 if strategy == RATE_LIMITED else 0)
    seconds = min(millis / 1000.0, policy.max_wait)
    return seconds * random.uniform(0.5, 1.0) * policy.delay_scale


def parse_request(template: Any) -> InjectableValue:
    try:
        return InjectableValue(template, TEXT, REPEAT)
    except TemplateParseError as error:
        message = error.message("request", TEXT, REPEAT)
        note = (
            f'\n  - Note: this template is using a document template, and so expects to contain the placeholder '
            f'"{TEXT}" rather than "{FRAGMENT}"'
        )
        raise EmbedderSetupError.of(USER, message + note) from None


def parse_response(template: Any, request: InjectableValue) -> InjectableValue:
    try:
        response = InjectableValue(template, EMBEDDING, REPEAT)
    except TemplateParseError as error:
        raise EmbedderSetupError.of(USER, error.message("response", EMBEDDING, REPEAT)) from None
    if response.has_array_value and not request.has_array_value:
        raise EmbedderSetupError.of(
            USER, "in `response`: `response` has multiple embeddings, but `request` has only one text to embed"
        )
    if request.has_array_value and not response.has_array_value:
        raise EmbedderSetupError.of(
            USER, "in `response`: `response` has a single embedding, but `request` has multiple texts to embed"
        )
    return response


class RestClient:
    """Requests to one embedding endpoint, with retries and checks of every answer."""

    def __init__(
        self,
        url: str,
        request: Any,
        response: Any,
        *,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        configured_by: str = USER_CONFIGURED,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.url = url
        self.request = parse_request(request)
        self.response = parse_response(response, self.request)
        self.headers = {"Content-Type": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.headers.update(headers or {})
        self.configured_by = configured_by
        self.retry = retry

    @property
    def batch_size(self) -> int:
        return BATCH_SIZE if self.request.has_array_value else 1

    def embed(self, texts: list[str], dimensions: int | None, deadline: float | None = None,
              stats: EmbedderRequests | None = None, counted: bool = True) -> list[list[float]]:
        """Vectors of ``texts`` (at most :attr:`batch_size`) from one successful request.

        Every attempt counts in ``stats`` (default: the batch's, see ``stats.py``) unless
        ``counted`` is false (the dimensions test embedding, which upstream does not count)."""
        if not texts:
            return []
        if stats is None and counted:
            stats = CURRENT.get()
        body = self.request.inject(list(texts))
        for attempt in range(self.retry.retries + 1):
            try:
                if stats is not None:
                    stats.sent()
                return self._attempt(body, len(texts), dimensions)
            except Failure as failure:
                if stats is not None:
                    stats.failure(failure.error.message)
                last_attempt = attempt == self.retry.retries
                if failure.strategy == GIVE_UP or last_attempt:
                    raise _with_status(failure) from None
                wait = wait_before_retry(failure.strategy, attempt, self.retry)
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise _with_status(failure) from None
                    wait = min(wait, remaining)
                time.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _attempt(self, body: Any, count: int, dimensions: int | None) -> list[list[float]]:
        # the deadline only shortens the waits between attempts (as upstream): an attempt keeps the
        # configured timeout, so the error reported is the remote's, not a timeout of our making
        answer = post_json(self.url, body, self.headers, self.retry.timeout, self.configured_by)
        try:
            embeddings = self.response.extract(answer, to_embedding)
        except ExtractionError as error:
            kind = "error extracting embeddings from the response:\n  - " + error.message(
                "response", EMBEDDING, "an array of numbers"
            )
            raise Failure(EmbeddingError.of(RUNTIME, kind), GIVE_UP) from None
        if len(embeddings) != count:
            kind = f"expected a response containing {count} embeddings, got only {len(embeddings)}"
            raise Failure(EmbeddingError.of(RUNTIME, kind), GIVE_UP)
        if dimensions is not None:
            for embedding in embeddings:
                if len(embedding) != dimensions:
                    kind = (
                        f"was expecting embeddings of dimension `{dimensions}`, "
                        f"got embeddings of dimensions `{len(embedding)}`"
                    )
                    raise Failure(EmbeddingError.of(RUNTIME, kind), GIVE_UP)
        return embeddings

    def embed_many(self, texts: list[str], dimensions: int | None) -> list[list[float]]:
        """Every text, cut in requests of :attr:`batch_size`, a few requests in flight at once."""
        size = self.batch_size
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        stats = CURRENT.get()  # the pool's threads do not see this thread's context: hand it over
        if len(chunks) <= 1 or self.retry.parallelism <= 1:
            return [vector for chunk in chunks for vector in self.embed(chunk, dimensions, stats=stats)]
        with ThreadPoolExecutor(max_workers=min(self.retry.parallelism, len(chunks))) as pool:
            results = list(pool.map(lambda chunk: self.embed(chunk, dimensions, stats=stats), chunks))
        return [vector for chunk in results for vector in chunk]


def _with_status(failure: Failure) -> EmbeddingError:
    failure.error.status, failure.error.body = failure.status, failure.body
    return failure.error


def could_not_determine_dimensions(error: EmbeddingError) -> EmbedderSetupError:
    return EmbedderSetupError.of(
        RUNTIME, f"could not determine model dimensions:\n  - test embedding failed with {error.message}"
    )


class RemoteEmbedder(Embedder):
    """An embedder whose vectors come from a :class:`RestClient`."""

    client: RestClient

    def infer_dimensions(self) -> int:
        try:
            return len(self.client.embed(["test"], None, counted=False)[0])
        except EmbeddingError as error:
            raise self._setup_error(error) from None

    def _setup_error(self, error: EmbeddingError) -> EmbedderSetupError:
        return could_not_determine_dimensions(error)

    @property
    def batch_hint(self) -> int:  # type: ignore[override]
        """One request per worker: ``batch_size × parallelism`` texts."""
        return self.client.batch_size * max(1, self.client.retry.parallelism)

    def _embed_error(self, error: EmbeddingError) -> EmbeddingError:
        """Hook for sources that reword a failure (ollama's 404)."""
        return error

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        dimensions = self.dimensions
        try:
            return self.client.embed_many(list(texts), dimensions)
        except EmbeddingError as error:
            raise self._embed_error(error) from None

    def embed_query(self, text: str, deadline: float | None = None) -> list[float]:
        dimensions = self.dimensions
        try:
            return self.client.embed([text], dimensions, deadline)[0]
        except EmbeddingError as error:
            raise self._embed_error(error) from None


class RestEmbedder(RemoteEmbedder):
    """``source: rest`` — the user's url, request, response, headers and apiKey."""

    source = "rest"

    def __init__(self, name: str, config: dict[str, Any], retry: RetryPolicy = DEFAULT_RETRY) -> None:
        super().__init__(name, config)
        if config.get("indexingFragments") or config.get("searchFragments"):
            raise EmbedderSetupError.of(
                USER, "`indexingFragments` and `searchFragments` (multimodal) are not supported by Loupe yet"
            )
        self.client = RestClient(
            config["url"],
            config["request"],
            config["response"],
            api_key=config.get("apiKey"),
            headers=config.get("headers") or {},
            retry=retry,
        )
