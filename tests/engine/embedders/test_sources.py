"""openAi, ollama, userProvided and composite: fixed dialects over the rest machinery.

Properties:
1. openAi sends ``{"model", "input": [...]}`` (+ ``dimensions`` for a -3 model given smaller
   ones), reads ``data[].embedding``; ada-002 keeps 1536; built-in distributions per model unless
   one is configured; the key is ``apiKey``, else ``MEILI_OPENAI_API_KEY``, else ``OPENAI_API_KEY``.
2. A 401 from OpenAI names its environment variables.
3. ollama picks its dialect from the URL (``/api/embeddings`` single, ``/api/embed`` batch),
   rejects any other URL, and reports a 404 as "model not found" (embedding and inference).
4. userProvided never embeds: the user error quotes the text (250 chars at most).
5. composite embeds documents with indexingEmbedder, queries with searchEmbedder, renders with
   the indexing template, and refuses sides whose dimensions or vectors disagree.
6. Without a source, an embedder is openAi.
"""
from __future__ import annotations

import pytest

from engine.embedders import EmbedderSetupError, EmbeddingError, make_embedder

from .conftest import vec


def openai(server, fast, **overrides):
    config = {"source": "openAi", "url": server.url + "/v1/embeddings", "apiKey": "sk-test"}
    config.update(overrides)
    return make_embedder("oa", config, retry=fast)


# 1 ------------------------------------------------------------------------------------------------

def test_openai_request_and_response(server, fast):
    embedder = openai(server, fast, model="text-embedding-3-small", dimensions=4)
    assert embedder.dimensions == 4
    assert embedder.embed_documents(["aa", "b"]) == [vec("aa", 4), vec("b", 4)]
    [request] = server.requests
    assert request["body"] == {"model": "text-embedding-3-small", "input": ["aa", "b"], "dimensions": 4}
    assert request["headers"]["Authorization"] == "Bearer sk-test"


def test_openai_default_model_and_dimensions(server, fast):
    embedder = openai(server, fast)
    assert embedder.dimensions == 1536
    assert len(embedder.embed_query("x")) == 1536
    assert server.requests[0]["body"] == {"model": "text-embedding-3-small", "input": ["x"]}


def test_openai_ada_keeps_its_native_dimensions(server, fast):
    embedder = openai(server, fast, model="text-embedding-ada-002", dimensions=1536)
    assert embedder.dimensions == 1536
    embedder.embed_query("x")
    assert "dimensions" not in server.requests[0]["body"]


@pytest.mark.parametrize(
    ("model", "distribution"),
    [
        ("text-embedding-ada-002", {"mean": 0.90, "sigma": 0.08}),
        ("text-embedding-3-small", {"mean": 0.75, "sigma": 0.1}),
        ("text-embedding-3-large", {"mean": 0.70, "sigma": 0.1}),
    ],
)
def test_openai_builtin_distributions(server, fast, model, distribution):
    assert openai(server, fast, model=model).distribution == distribution
    configured = {"mean": 0.5, "sigma": 0.2}
    assert openai(server, fast, model=model, distribution=configured).distribution == configured


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MEILI_OPENAI_API_KEY": "meili", "OPENAI_API_KEY": "plain"}, "Bearer meili"),
        ({"OPENAI_API_KEY": "plain"}, "Bearer plain"),
        ({}, None),
    ],
)
def test_openai_key_fallback(server, fast, monkeypatch, env, expected):
    monkeypatch.delenv("MEILI_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    openai(server, fast, apiKey=None).embed_query("x")
    assert server.requests[0]["headers"].get("Authorization") == expected


# 2 ------------------------------------------------------------------------------------------------

def test_openai_401_hint(server, fast):
    server.script("/v1/embeddings", (401, "Incorrect API key provided"))
    with pytest.raises(EmbeddingError) as caught:
        openai(server, fast).embed_query("x")
    assert caught.value.message == (
        "user error: could not authenticate against OpenAI server\n  - server replied with `Incorrect API key "
        "provided`\n  - Hint: Check the `apiKey` parameter in the embedder configuration, and the "
        "`MEILI_OPENAI_API_KEY` and `OPENAI_API_KEY` environment variables"
    )


def test_openai_400_has_no_request_hint(server, fast):
    server.script("/v1/embeddings", (400, "too long"))
    with pytest.raises(EmbeddingError) as caught:
        openai(server, fast).embed_query("x")
    assert caught.value.message == "user error: sent a bad request to embedding server\n  - server replied with `too long`"


# 3 ------------------------------------------------------------------------------------------------

def ollama(server, fast, path="/api/embeddings", **overrides):
    config = {"source": "ollama", "url": server.url + path, "model": "nomic"}
    config.update(overrides)
    return make_embedder("ol", config, retry=fast)


def test_ollama_embeddings_dialect(server, fast):
    embedder = ollama(server, fast)
    assert embedder.dimensions == 3  # inferred
    assert embedder.embed_documents(["aa", "b"]) == [vec("aa"), vec("b")]
    bodies = [r["body"] for r in server.requests]
    assert bodies[0] == {"model": "nomic", "prompt": "test"}  # the inference comes first
    assert sorted(bodies[1:], key=str) == [{"model": "nomic", "prompt": "aa"}, {"model": "nomic", "prompt": "b"}]


def test_ollama_embed_dialect_batches(server, fast):
    embedder = ollama(server, fast, path="/api/embed", dimensions=3)
    assert embedder.embed_documents(["aa", "b"]) == [vec("aa"), vec("b")]
    assert server.requests[0]["body"] == {"model": "nomic", "input": ["aa", "b"]}


def test_ollama_unsupported_url(server, fast):
    with pytest.raises(EmbedderSetupError) as caught:
        ollama(server, fast, path="/v1/embeddings")
    assert caught.value.message == (
        "user error: unsupported Ollama URL.\n  - For `ollama` sources, the URL must end with `/api/embed` or "
        f"`/api/embeddings`\n  - Got `{server.url}/v1/embeddings`"
    )


NOT_PULLED = (
    "user error: model not found. Meilisearch will not automatically download models from the Ollama library, "
    'please pull the model manually\n  - server replied with `{"error": "model \\"llama\\" not found, try pulling it first"}`'
)


def test_ollama_model_not_found_while_embedding(server, fast):
    with pytest.raises(EmbeddingError) as caught:
        ollama(server, fast, model="llama", dimensions=3).embed_query("x")
    assert caught.value.message == NOT_PULLED


def test_ollama_model_not_found_while_inferring_dimensions(server, fast):
    with pytest.raises(EmbedderSetupError) as caught:
        _ = ollama(server, fast, model="llama").dimensions
    assert caught.value.message == (
        "runtime error: could not determine model dimensions:\n  - test embedding failed with " + NOT_PULLED
    )


def test_ollama_default_url(monkeypatch):
    from engine.embedders.ollama import default_url

    monkeypatch.delenv("MEILI_OLLAMA_URL", raising=False)
    assert default_url() == "http://localhost:11434/api/embeddings"
    monkeypatch.setenv("MEILI_OLLAMA_URL", "http://127.0.0.1:9/api/embed")
    assert default_url() == "http://127.0.0.1:9/api/embed"


# 4 ------------------------------------------------------------------------------------------------

def test_user_provided_cannot_embed():
    embedder = make_embedder("manual", {"source": "userProvided", "dimensions": 3})
    assert (embedder.source, embedder.dimensions) == ("userProvided", 3)
    with pytest.raises(EmbeddingError) as caught:
        embedder.embed_query("Captain")
    assert caught.value.message == (
        "user error: attempt to embed the following text in a configuration where embeddings must be user "
        "provided:\n  - `Captain`"
    )
    with pytest.raises(EmbeddingError) as caught:
        embedder.embed_documents(["x" * 300, "y"])
    assert caught.value.message.endswith("\n  - `" + "x" * 250 + "`")
    assert caught.value.kind == "manual_embed"
    assert embedder.embed_documents([]) == []
    assert embedder.render({"a": 1}, lambda name: True) == ""


# 5 ------------------------------------------------------------------------------------------------

def rest_side(server, path="/rest", **overrides):
    side = {
        "source": "rest", "url": server.url + path, "request": {"input": "{{text}}"},
        "response": {"embedding": "{{embedding}}"}, "dimensions": 3,
    }
    side.update(overrides)
    return side


def test_composite_routes_documents_and_queries(server, fast):
    config = {
        "source": "composite",
        "searchEmbedder": rest_side(server),
        "indexingEmbedder": rest_side(
            server, "/rest/batch", request={"inputs": [{"text": "{{text}}"}, "{{..}}"]},
            response={"data": [{"vector": "{{embedding}}"}, "{{..}}"]}, documentTemplate="{{doc.name}}!",
        ),
    }
    embedder = make_embedder("both", config, retry=fast)
    checks = len(server.requests)
    assert sorted(server.paths()) == ["/rest"] * 3 + ["/rest/batch"]  # the three probes on each side
    assert embedder.embed_query("aaa") == vec("aaa")
    assert embedder.embed_documents(["bb"]) == [vec("bb")]
    assert server.paths()[checks:] == ["/rest", "/rest/batch"]
    assert embedder.render({"name": "kefir"}, lambda name: True) == "kefir!"
    assert embedder.dimensions == 3 and embedder.source == "composite"


def test_composite_dimensions_must_match(server, fast):
    config = {"source": "composite", "searchEmbedder": rest_side(server), "indexingEmbedder": rest_side(server, dimensions=4)}
    with pytest.raises(EmbedderSetupError) as caught:
        make_embedder("both", config, retry=fast)
    assert caught.value.message == (
        "user error: error while generating test embeddings.\n  - the dimensions of embeddings produced at search "
        "time and at indexing time don't match.\n  - Search time dimensions: 3\n  - Indexing time dimensions: 4\n"
        "  - Note: Dimensions of embeddings produced by both embedders are required to match."
    )


def test_composite_vectors_must_agree(server, fast):
    config = {
        "source": "composite",
        "searchEmbedder": rest_side(server),
        "indexingEmbedder": rest_side(
            server, "/rest/batch", request={"inputs": [{"text": "{{text}}"}, "{{..}}"]},
            response={"data": [{"vector": "{{embedding}}"}, "{{..}}"]},
        ),
    }
    # the indexing side answers the three probes with a vector far from the search side's
    server.script("/rest/batch", (200, {"data": [{"vector": [0.0, 0.0, -1.0]}] * 3}))
    with pytest.raises(EmbeddingError) as caught:
        make_embedder("both", config, retry=fast)
    # search side "test" -> [4, 0, 1]; indexing side -> [0, 0, -1]: cos = -1/√17, distance 0.62
    assert caught.value.message == (
        "user error: error while generating test embeddings.\n  - the embeddings produced at search time and "
        "indexing time are not similar enough.\n  - angular distance 0.62\n  - Meilisearch requires a maximum "
        "distance of 0.01.\n  - Note: check that both embedders produce similar embeddings."
    )


def test_composite_with_a_user_provided_side(server, fast):
    config = {
        "source": "composite", "searchEmbedder": rest_side(server),
        "indexingEmbedder": {"source": "userProvided", "dimensions": 3},
    }
    with pytest.raises(EmbedderSetupError) as caught:
        make_embedder("both", config, retry=fast)
    assert caught.value.message == (
        "runtime error: error while generating test embeddings.\n  - could not generate test embedding with "
        "embedder at indexing time.\n  - Embedding failed with user error: attempt to embed the following text "
        "in a configuration where embeddings must be user provided:\n  - `test`"
    )


# 6 ------------------------------------------------------------------------------------------------

def test_source_defaults_to_openai(server, fast):
    embedder = make_embedder("x", {"url": server.url + "/v1/embeddings", "apiKey": "k"}, retry=fast)
    assert embedder.source == "openAi" and embedder.dimensions == 1536
