"""The rest embedder against a loopback server (milli ``embedder/rest.rs`` behaviour).

Properties:
1. A single-text request is the template with the text injected; headers are sent as given,
   ``apiKey`` becomes ``Authorization: Bearer``, ``Content-Type`` is JSON.
2. ``dimensions`` absent: inferred once by embedding ``"test"`` before the first real request;
   present: no test request.
3. A batch template sends at most 10 texts per request and returns vectors in input order.
4. Retries: 500 and 429 and unparsable JSON and connection failures are retried, up to
   ``retries`` + 1 attempts (never past a query's deadline); 400, 401, 404 are not. Each
   error's text is upstream's, exactly. Waits follow upstream's schedule and environment knobs.
5. Answers that do not fit are refused: wrong shape (with the typo hint), wrong count,
   wrong dimensions.
6. Templates that cannot work are refused when the embedder is built, in upstream's words.
7. A failure while inferring dimensions is worded ``could not determine model dimensions``.
"""
from __future__ import annotations

import pytest

from engine.embedders import (
    EmbedderSetupError,
    EmbeddingError,
    RetryPolicy,
    make_embedder,
)

from .conftest import vec


def rest(server, fast, **overrides):
    config = {
        "source": "rest",
        "url": server.url + "/rest",
        "request": {"input": "{{text}}", "model": "m"},
        "response": {"embedding": "{{embedding}}"},
        "dimensions": 3,
    }
    config.update(overrides)
    return make_embedder("rest", config, retry=fast)


def batch(server, fast, **overrides):
    return rest(
        server, fast,
        url=server.url + "/rest/batch",
        request={"inputs": [{"text": "{{text}}"}, "{{..}}"]},
        response={"data": [{"vector": "{{embedding}}"}, "{{..}}"]},
        **overrides,
    )


def error_of(call) -> str:
    with pytest.raises(EmbeddingError) as caught:
        call()
    return caught.value.message


# 1 ------------------------------------------------------------------------------------------------

def test_request_body_and_headers(server, fast):
    embedder = rest(server, fast, apiKey="sk-123", headers={"X-Tenant": "t1"})
    assert embedder.embed_query("banana") == [6.0, 3.0, 1.0]
    [request] = server.requests
    assert request["body"] == {"input": "banana", "model": "m"}
    assert request["headers"]["Authorization"] == "Bearer sk-123"
    assert request["headers"]["X-Tenant"] == "t1"
    assert request["headers"]["Content-Type"] == "application/json"
    assert embedder.source == "rest" and embedder.dimensions == 3


def test_no_api_key_no_authorization_header(server, fast):
    rest(server, fast).embed_query("x")
    assert "Authorization" not in server.requests[0]["headers"]


# 2 ------------------------------------------------------------------------------------------------

def test_dimensions_inferred_by_a_test_embedding(server, fast):
    embedder = rest(server, fast, dimensions=None)
    assert embedder.known_dimensions is None
    assert embedder.embed_documents(["ab"]) == [vec("ab")]
    assert [r["body"]["input"] for r in server.requests] == ["test", "ab"]
    assert embedder.dimensions == 3
    embedder.embed_query("again")
    assert len(server.requests) == 3  # inferred once


def test_configured_dimensions_need_no_test_request(server, fast):
    rest(server, fast).embed_documents(["ab"])
    assert [r["body"]["input"] for r in server.requests] == ["ab"]


# 3 ------------------------------------------------------------------------------------------------

def test_batches_of_ten_in_order(server, fast):
    texts = [f"text {'a' * i}" for i in range(25)]
    embedder = batch(server, fast)
    assert embedder.embed_documents(texts) == [vec(t) for t in texts]
    assert embedder.batch_hint == 10 * fast.parallelism
    sizes = sorted(len(r["body"]["inputs"]) for r in server.requests)
    assert sizes == [5, 10, 10]


def test_single_template_sends_one_text_per_request(server, fast):
    texts = ["a", "bb", "ccc"]
    assert rest(server, fast).embed_documents(texts) == [vec(t) for t in texts]
    assert sorted(r["body"]["input"] for r in server.requests) == texts


def test_empty_input_sends_nothing(server, fast):
    assert rest(server, fast).embed_documents([]) == []
    assert server.requests == []


# 4 ------------------------------------------------------------------------------------------------

def test_500_then_success_is_retried(server, fast):
    server.script("/rest", (500, "boom"))
    assert rest(server, fast).embed_query("abc") == vec("abc")
    assert len(server.requests) == 2


def test_429_then_success_is_retried(server, fast):
    server.script("/rest", (429, "slow down"), (429, "slow down"))
    assert rest(server, fast).embed_query("abc") == vec("abc")
    assert len(server.requests) == 3


def test_persistent_500_gives_up_after_the_last_attempt(server, fast):
    server.script("/rest", *[(500, "boom")] * 10)
    message = error_of(lambda: rest(server, fast).embed_query("abc"))
    assert message == "runtime error: received internal error HTTP 500 from embedding server\n  - server replied with `boom`"
    assert len(server.requests) == fast.retries + 1


def test_persistent_429(server, fast):
    server.script("/rest", *[(429, "quota")] * 10)
    message = error_of(lambda: rest(server, fast).embed_query("abc"))
    assert message == "runtime error: sent too many requests to embedding server\n  - server replied with `quota`"


def test_404_is_not_retried(server, fast):
    embedder = rest(server, fast, url=server.url + "/missing")
    assert error_of(lambda: embedder.embed_query("abc")) == (
        "error: received unexpected HTTP 404 from embedding server\n  - server replied with `not here`"
    )
    assert len(server.requests) == 1


def test_400_names_the_request_template(server, fast):
    server.script("/rest", (400, '{"error":"bad field"}'))
    assert error_of(lambda: rest(server, fast).embed_query("abc")) == (
        "user error: sent a bad request to embedding server\n"
        "  - Hint: check that the `request` in the embedder configuration matches the remote server's API\n"
        '  - server replied with `{"error":"bad field"}`'
    )
    assert len(server.requests) == 1


def test_401_points_at_the_api_key(server, fast):
    server.script("/rest", (401, "who are you"))
    assert error_of(lambda: rest(server, fast, apiKey="wrong").embed_query("abc")) == (
        "user error: could not authenticate against embedding server\n  - server replied with `who are you`\n"
        "  - Hint: Check the `apiKey` parameter in the embedder configuration"
    )


def test_other_4xx_given_up(server, fast):
    server.script("/rest", (418, "teapot"))
    assert error_of(lambda: rest(server, fast).embed_query("abc")) == (
        "error: received unexpected HTTP 418 from embedding server\n  - server replied with `teapot`"
    )
    assert len(server.requests) == 1


def test_bad_json_is_retried_then_reported(server, fast):
    server.script("/rest", *[(200, "this is not json")] * 10)
    assert error_of(lambda: rest(server, fast).embed_query("abc")) == (
        "runtime error: error deserializing the response body as JSON:\n  - expected value at line 1 column 1"
    )
    assert len(server.requests) == fast.retries + 1


def test_bad_json_once_then_success(server, fast):
    server.script("/rest", (200, "{oops"))
    assert rest(server, fast).embed_query("abc") == vec("abc")


def test_unreachable_server_is_retried_then_reported(server, fast):
    url = server.url + "/rest"
    server.close()
    embedder = rest(server, fast, url=url)
    message = error_of(lambda: embedder.embed_query("abc"))
    assert message.startswith(f"runtime error: could not reach embedding server:\n  - {url}: ")


# 5 ------------------------------------------------------------------------------------------------

def test_missing_key_with_typo_hint(server, fast):
    server.script("/rest", (200, {"embeddings": [1, 2, 3]}))
    assert error_of(lambda: rest(server, fast).embed_query("abc")) == (
        "runtime error: error extracting embeddings from the response:\n"
        '  - in `response`, while extracting a single "{{embedding}}", configuration expects key "embedding", '
        "which is missing in response\n"
        "  - Hint: `response` has key `embeddings`, did you mean `response.embeddings` in embedder configuration?"
    )
    assert len(server.requests) == 1  # a misfit answer is not retried


def test_wrong_value_type(server, fast):
    server.script("/rest", (200, {"embedding": [1, "two", 3]}))
    assert error_of(lambda: rest(server, fast).embed_query("abc")) == (
        "runtime error: error extracting embeddings from the response:\n"
        '  - in `response.embedding`, while extracting a single "{{embedding}}", expected `embedding` to be an '
        "array of numbers, but failed to parse server response:\n"
        '  - invalid type: string "two", expected f32'
    )


def test_wrong_container(server, fast):
    server.script("/rest/batch", (200, {"data": {"vector": [1, 2, 3]}}))
    assert error_of(lambda: batch(server, fast).embed_query("abc")) == (
        "runtime error: error extracting embeddings from the response:\n"
        '  - in `response.data`, while extracting the array of "{{embedding}}"s, configuration expects `data` '
        "to be an array with at least 1 item(s) but server sent an object with 1 field(s)"
    )


def test_wrong_count(server, fast):
    server.script("/rest/batch", (200, {"data": [{"vector": [1, 2, 3]}]}))
    assert error_of(lambda: batch(server, fast).embed_documents(["a", "b"])) == (
        "runtime error: expected a response containing 2 embeddings, got only 1"
    )


def test_wrong_dimensions(server, fast):
    server.script("/rest", (200, {"embedding": [1, 2]}))
    assert error_of(lambda: rest(server, fast).embed_query("abc")) == (
        "runtime error: was expecting embeddings of dimension `3`, got embeddings of dimensions `2`"
    )


# 6 ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("request_template", "response_template", "message"),
    [
        (
            {"input": "text"}, {"embedding": "{{embedding}}"},
            (
                'user error: in `request`: "{{text}}" not found\n  - Note: this template is using a document '
                'template, and so expects to contain the placeholder "{{text}}" rather than "{{fragment}}"'
            ),
        ),
        (
            {"input": ["{{text}}", "{{..}}"]}, {"embedding": "{{embedding}}"},
            "user error: in `response`: `response` has a single embedding, but `request` has multiple texts to embed",
        ),
        (
            {"input": "{{text}}"}, {"data": ["{{embedding}}", "{{..}}"]},
            "user error: in `response`: `response` has multiple embeddings, but `request` has only one text to embed",
        ),
        (
            {"input": "{{text}}"}, {"a": "{{embedding}}", "b": {"c": "{{embedding}}"}},
            'user error: in `response.b.c`: Found "{{embedding}}", but it was already present in `response.a`',
        ),
        (
            {"input": ["{{..}}", "{{text}}"]}, {"embedding": "{{embedding}}"},
            (
                'user error: in `request.input`: "{{..}}" expected at position #1, but found at position #0\n'
                "  - Note: this template is using a document template, and so expects to contain the placeholder "
                '"{{text}}" rather than "{{fragment}}"'
            ),
        ),
    ],
)
def test_unusable_templates(server, fast, request_template, response_template, message):
    with pytest.raises(EmbedderSetupError) as caught:
        rest(server, fast, request=request_template, response=response_template)
    assert caught.value.message == message


# 7 ------------------------------------------------------------------------------------------------

def test_dimension_inference_failure(server, fast):
    embedder = rest(server, fast, url=server.url + "/nowhere", dimensions=None)
    with pytest.raises(EmbedderSetupError) as caught:
        embedder.embed_documents(["a"])
    assert caught.value.message == (
        "runtime error: could not determine model dimensions:\n  - test embedding failed with "
        "error: received unexpected HTTP 404 from embedding server\n  - server replied with `not here`"
    )


def test_a_query_stops_retrying_at_its_deadline(server):
    import time

    # upstream's real waits (1, 10, 100, 1000 ms…) add up to more than a second before the
    # eleventh attempt; a deadline 0.2 s away must cut the attempts short
    server.script("/rest", *[(500, "boom")] * 11)
    with pytest.raises(EmbeddingError) as caught:
        rest(server, RetryPolicy(timeout=5.0)).embed_query("abc", deadline=time.monotonic() + 0.2)
    assert caught.value.message.startswith("runtime error: received internal error HTTP 500")
    assert 1 <= len(server.requests) < 11


def test_retry_policy_from_environment():
    policy = RetryPolicy.from_env({
        "MEILI_EXPERIMENTAL_REST_EMBEDDER_TIMEOUT_SECONDS": "5",
        "MEILI_EXPERIMENTAL_REST_EMBEDDER_MAX_RETRY_DURATION_SECONDS": "2",
    })
    assert (policy.timeout, policy.max_wait, policy.retries) == (5.0, 2.0, 10)
    assert RetryPolicy.from_env({}) == RetryPolicy()


def test_retry_waits_follow_upstream_schedule():
    from engine.embedders.rest import wait_before_retry

    policy = RetryPolicy(delay_scale=1.0, max_wait=60.0)
    for attempt, top in [(0, 0.001), (2, 0.1), (4, 10.0), (9, 60.0)]:
        wait = wait_before_retry("retry", attempt, policy)
        assert top / 2 <= wait <= top
    assert 0.0505 <= wait_before_retry("rate_limited", 0, policy) <= 0.101
