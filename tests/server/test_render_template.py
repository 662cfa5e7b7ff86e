"""POST /render-template (upstream `routes/render.rs` and `tests/vector/render.rs` snapshots).

Corpus `doggo`: a `rest` embedder whose documentTemplate is `{{doc.name}}`, a `manual`
userProvided embedder, documents `{"id": 0, "name": "kefir"}` and `{"id": 1, "name": "iko",
"breed": "jack russell"}`, searchableAttributes `["name"]`.

Properties:
1. The `renderRoute` feature gates the route (after the body is read), with upstream's message.
2. Body errors: missing `template` / `kind`, unknown kinds and fields, wrong types — deserr's texts
   and codes (`bad_request`, `invalid_render_template`, `invalid_render_input`).
3. Per-kind parameter rules, in upstream's order ("parameter `x` missing/disallowed for kind `k`").
4. Templates: an embedder's documentTemplate (returned unrendered without input), the index's chat
   template (`chatCompletions` feature), inline templates; fragment kinds need `multimodal` and no
   Loupe embedder uses fragments; inline fragments render JSON values.
5. Inputs: a stored document (fields searchable as the index says), an inline document (every
   field searchable), an inline search (`multimodal`); missing documents and indexes get 404s.
6. Rendering errors: a document template with a search, a missing variable, a template that does
   not parse.
7. The key needs both `settings.get` and `documents.get`, and must cover the indexes named.
"""
from __future__ import annotations

from typing import Any

import pytest
from embedding_server import EmbeddingServer, allow_loopback

from engine.embedders.template import DEFAULT_TEMPLATE
from engine.engine import Engine
from server.app import create_app
from support import index_documents

KEY = "render-template-master-key-01234"
DOCS = [{"id": 0, "name": "kefir"}, {"id": 1, "name": "iko", "breed": "jack russell"}]
GATE = ("calling the /render-template route requires enabling the `render_route` experimental feature. "
        "See https://github.com/orgs/meilisearch/discussions/888")
MULTIMODAL = "requires enabling the `multimodal` experimental feature. See https://github.com/orgs/meilisearch/discussions/846"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    server = EmbeddingServer()
    engine = Engine(tmp_path_factory.mktemp("render") / "db", worker="thread")
    settings = {"searchableAttributes": ["name"], "embedders": {
        "rest": {"source": "rest", "url": server.url + "/rest", "request": {"input": "{{text}}"},
                 "response": {"embedding": "{{embedding}}"}, "documentTemplate": "{{doc.name}}"},
        "manual": {"source": "userProvided", "dimensions": 2}}}
    docs = [{**doc, "_vectors": {"manual": None}} for doc in DOCS]
    with pytest.MonkeyPatch.context() as patch:
        allow_loopback(patch)
        index_documents(engine, "doggo", docs, settings)
    yield engine
    engine.close()
    server.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    client.headers = {"Authorization": f"Bearer {KEY}"}
    return client


async def call(http, body: Any, key: str = KEY, method: str = "POST", path: str = "/render-template") -> tuple[int, Any]:
    response = await http.request(method, path, json=body, headers={"Authorization": f"Bearer {key}"})
    return response.status, await response.json()


async def features(http, **flags: bool) -> None:
    status, _ = await call(http, flags, method="PATCH", path="/experimental-features")
    assert status == 200


def error(code: str, message: str, status: int = 400) -> tuple[int, dict[str, str]]:
    return status, {"message": message, "code": code, "type": "invalid_request",
                    "link": f"https://docs.meilisearch.com/errors#{code}"}


def fetching_template(message: str, code: str = "invalid_render_template", status: int = 400):
    return error(code, f"error while fetching template: {message}", status)


def fetching_input(message: str, code: str = "invalid_render_input", status: int = 400):
    return error(code, f"error while fetching input: {message}", status)


def rendering(message: str):
    return error("template_rendering_error", f"error while rendering template: {message}")


EMBEDDER_TEMPLATE = {"kind": "documentTemplate", "indexUid": "doggo", "embedder": "rest"}


# 1 -------------------------------------------------------------------------------------------------

async def test_the_route_needs_its_feature(http):
    await features(http, renderRoute=False)
    assert await call(http, {"template": EMBEDDER_TEMPLATE}) == error("feature_not_enabled", GATE)
    # the body is read first
    assert await call(http, {}) == error("bad_request", "Missing field `template`")
    await features(http, renderRoute=True)
    assert await call(http, {"template": EMBEDDER_TEMPLATE}) == (200, {"template": "{{doc.name}}", "rendered": None})


# 2 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, expected", [
    ({}, error("bad_request", "Missing field `template`")),
    ({"template": {}}, error("invalid_render_template", "Missing field `kind` inside `.template`")),
    ({"template": {"kind": "bad"}}, error(
        "invalid_render_template", "Unknown value `bad` at `.template.kind`: expected one of `documentTemplate`, "
        "`chatDocumentTemplate`, `indexingFragment`, `searchFragment`, `inlineDocumentTemplate`, `inlineFragment`")),
    ({"template": "x"}, error("invalid_render_template",
                              "Invalid value type at `.template`: expected an object, but found a string: `\"x\"`")),
    ({"template": {"kind": "inlineDocumentTemplate", "inline": "x", "other": 1}}, error(
        "invalid_render_template", "Unknown field `other` inside `.template`: expected one of `kind`, `indexUid`, "
        "`embedder`, `fragment`, `inline`, `documentTemplateMaxBytes`")),
    ({"template": {"kind": "documentTemplate", "embedder": 3}}, error(
        "invalid_render_template", "Invalid value type at `.template.embedder`: expected a string, but found a "
        "positive integer: `3`")),
    ({"template": {"kind": "inlineDocumentTemplate", "inline": "x", "documentTemplateMaxBytes": 0}}, error(
        "invalid_render_template", "Invalid value at `.template.documentTemplateMaxBytes`: a non-zero integer value "
        "lower than `18446744073709551615` was expected, but found a zero")),
    ({"template": {"kind": "documentTemplate", "indexUid": "no way"}}, error(
        "invalid_index_uid", "Invalid value at `.template.indexUid`: `no way` is not a valid index uid. Index uid can "
        "be an integer or a string containing only alphanumeric characters, hyphens (-) and underscores (_), and can "
        "not be more than 512 bytes.")),
    ({"template": EMBEDDER_TEMPLATE, "input": {}}, error("invalid_render_input", "Missing field `kind` inside `.input`")),
    ({"template": EMBEDDER_TEMPLATE, "input": {"kind": "document"}}, error(
        "invalid_render_input", "Unknown value `document` at `.input.kind`: expected one of `indexDocument`, "
        "`inlineDocument`, `inlineSearch`")),
    ({"template": EMBEDDER_TEMPLATE, "other": 1}, error(
        "bad_request", "Unknown field `other`: expected one of `template`, `input`")),
])
async def test_body_errors(http, body, expected):
    await features(http, renderRoute=True)
    assert await call(http, body) == expected


# 3 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("template, message", [
    ({"kind": "documentTemplate"}, "parameter `index_uid` missing for kind `documentTemplate`"),
    ({"kind": "documentTemplate", "embedder": "test"}, "parameter `index_uid` missing for kind `documentTemplate`"),
    ({"kind": "documentTemplate", "indexUid": "doggo"}, "parameter `embedder` missing for kind `documentTemplate`"),
    ({"kind": "documentTemplate", "indexUid": "test", "embedder": "test", "fragment": "bad"},
     "parameter `fragment` disallowed for kind `documentTemplate`"),
    ({"kind": "documentTemplate", "indexUid": "test", "embedder": "test", "inline": "bad"},
     "parameter `inline` disallowed for kind `documentTemplate`"),
    ({"kind": "inlineDocumentTemplate"}, "parameter `inline` missing for kind `inlineDocumentTemplate`"),
    ({"kind": "inlineDocumentTemplate", "inline": None}, "parameter `inline` missing for kind `inlineDocumentTemplate`"),
    ({"kind": "inlineDocumentTemplate", "indexUid": "test"},
     "parameter `index_uid` disallowed for kind `inlineDocumentTemplate`"),
    ({"kind": "inlineDocumentTemplate", "embedder": "test"},
     "parameter `embedder` disallowed for kind `inlineDocumentTemplate`"),
    ({"kind": "inlineDocumentTemplate", "fragment": "test"},
     "parameter `fragment` disallowed for kind `inlineDocumentTemplate`"),
    ({"kind": "inlineDocumentTemplate", "inline": ["not a string"]}, "inline document templates must be strings"),
    ({"kind": "indexingFragment", "indexUid": "doggo", "embedder": "rest"},
     "parameter `fragment` missing for kind `indexingFragment`"),
    ({"kind": "inlineFragment", "inline": "x", "documentTemplateMaxBytes": 3},
     "parameter `document_template_max_bytes` disallowed for kind `inlineFragment`"),
])
async def test_template_parameters(http, template, message):
    await features(http, renderRoute=True, multimodal=True)
    assert await call(http, {"template": template}) == fetching_template(message)


@pytest.mark.parametrize("given, message", [
    ({"kind": "indexDocument", "id": "0"}, "parameter `indexUid` missing for kind `indexDocument`"),
    ({"kind": "indexDocument", "indexUid": "doggo"}, "parameter `id` missing for kind `indexDocument`"),
    ({"kind": "indexDocument", "indexUid": "doggo", "id": "0", "inline": {}},
     "parameter `inline` disallowed for kind `indexDocument`"),
    ({"kind": "inlineDocument", "indexUid": "doggo"}, "parameter `index_uid` disallowed for kind `inlineDocument`"),
    ({"kind": "inlineDocument", "id": "0"}, "parameter `id` disallowed for kind `inlineDocument`"),
    ({"kind": "inlineDocument", "inline": None}, "parameter `inline` missing for kind `inlineDocument`"),
    ({"kind": "inlineDocument", "inline": "that's not an object, that's a string"},
     "parsing inline document: invalid type: string \"that's not an object, that's a string\", expected a map at "
     "line 1 column 39\n  - Note: the inline document must be a JSON map"),
    ({"kind": "inlineDocument", "inline": 42},
     "parsing inline document: invalid type: integer `42`, expected a map at line 1 column 2\n  - Note: the inline "
     "document must be a JSON map"),
    ({"kind": "inlineSearch", "inline": None}, "parameter `inline` missing for kind `inlineSearch`"),
    ({"kind": "inlineSearch", "inline": "that's not an object, that's a string"},
     "parsing inline search: invalid type: string \"that's not an object, that's a string\", expected a map at "
     "line 1 column 39\n  - Note: the inline search query must be a JSON map containing `q` and/or `media`"),
    ({"kind": "inlineSearch", "inline": {"q": 3}}, "`q` is not a string"),
])
async def test_input_parameters(http, given, message):
    await features(http, renderRoute=True, multimodal=True)
    template = {"kind": "inlineFragment", "inline": "{{ q }}"}
    assert await call(http, {"template": template, "input": given}) == fetching_input(message)


# 4 -------------------------------------------------------------------------------------------------

async def test_embedder_and_chat_templates(http):
    await features(http, renderRoute=True, chatCompletions=False)
    assert await call(http, {"template": {**EMBEDDER_TEMPLATE, "embedder": "wrong"}}) == fetching_template(
        "cannot find embedder `wrong` in index `doggo`")
    assert await call(http, {"template": {**EMBEDDER_TEMPLATE, "embedder": "manual"}}) == fetching_template(
        "embedder `manual` in index `doggo` does not use a document template.")
    assert await call(http, {"template": {**EMBEDDER_TEMPLATE, "indexUid": "nope"}}) == fetching_template(
        "cannot open index `nope`: Index `nope` not found.", "index_not_found", 404)
    assert await call(http, {"template": EMBEDDER_TEMPLATE, "input": {
        "kind": "indexDocument", "indexUid": "doggo", "id": "0"}}) == (200, {"template": "{{doc.name}}",
                                                                            "rendered": "kefir"})
    chat = {"kind": "chatDocumentTemplate", "indexUid": "doggo"}
    assert await call(http, {"template": chat}) == fetching_template(
        "accessing chat settings requires enabling the `chat completions` experimental feature. "
        "See https://github.com/orgs/meilisearch/discussions/835", "feature_not_enabled")
    await features(http, chatCompletions=True)
    assert await call(http, {"template": {**chat, "embedder": "rest"}}) == fetching_template(
        "parameter `embedder` disallowed for kind `chatDocumentTemplate`")
    # the default template lists the searchable fields of the stored document: `breed` is not one
    assert await call(http, {"template": chat, "input": {"kind": "indexDocument", "indexUid": "doggo", "id": "1"}}) \
        == (200, {"template": DEFAULT_TEMPLATE, "rendered": "name: iko\n"})
    # an inline document has every field searchable
    assert await call(http, {"template": chat, "input": {
        "kind": "inlineDocument", "inline": {"name": "iko", "breed": "jack russell"}}}) == (
        200, {"template": DEFAULT_TEMPLATE, "rendered": "name: iko\nbreed: jack russell\n"})


async def test_inline_templates(http):
    await features(http, renderRoute=True)
    template = {"kind": "inlineDocumentTemplate",
                "inline": "{{ doc.name }} is a {{ doc.breed.name }} ({{ doc.breed.kind }})"}
    given = {"kind": "inlineDocument", "inline": {"name": "iko", "breed": {"name": "jack russell", "kind": "terrier"}}}
    assert await call(http, {"template": template, "input": given}) == (
        200, {"template": template["inline"], "rendered": "iko is a jack russell (terrier)"})
    # documentTemplateMaxBytes is accepted but, as upstream, the text is never truncated
    assert await call(http, {"template": {**template, "documentTemplateMaxBytes": 3}, "input": given}) == (
        200, {"template": template["inline"], "rendered": "iko is a jack russell (terrier)"})
    stored = {"kind": "indexDocument", "indexUid": "doggo", "id": "1"}
    assert await call(http, {"template": {"kind": "inlineDocumentTemplate", "inline": "{{ doc.breed }}"},
                             "input": stored}) == (200, {"template": "{{ doc.breed }}", "rendered": "jack russell"})


async def test_fragments(http):
    await features(http, renderRoute=True, multimodal=False)
    fragment = {"kind": "indexingFragment", "indexUid": "doggo", "embedder": "rest", "fragment": "basic"}
    assert await call(http, {"template": fragment}) == fetching_template(
        f"accessing fragments {MULTIMODAL}", "feature_not_enabled")
    assert await call(http, {"template": {"kind": "inlineFragment", "inline": "x"}}) == fetching_template(
        f"rendering an inline fragment {MULTIMODAL}", "feature_not_enabled")
    search = {"kind": "inlineSearch", "inline": {"q": "x"}}
    assert await call(http, {"template": EMBEDDER_TEMPLATE, "input": search}) == fetching_input(
        f"rendering search {MULTIMODAL}", "feature_not_enabled")
    await features(http, multimodal=True)
    assert await call(http, {"template": fragment}) == fetching_template(
        "embedder `rest` in index `doggo` does not use fragments.")
    assert await call(http, {"template": {**fragment, "kind": "searchFragment", "embedder": "nope"}}) == \
        fetching_template("cannot find indexing fragment `basic` for embedder `nope` in index `doggo`")
    inline = {"kind": "inlineFragment", "inline": {"text": "{{ doc.name }} is a {{ doc.breed }}", "n": [1, "{{ doc.name }}"]}}
    assert await call(http, {"template": inline, "input": {"kind": "indexDocument", "indexUid": "doggo", "id": "1"}}) \
        == (200, {"template": inline["inline"], "rendered": {"text": "iko is a jack russell", "n": [1, "iko"]}})
    media = {"kind": "inlineFragment", "inline": "It's a {{ media.breed }}"}
    given = {"kind": "inlineSearch", "inline": {"media": {"name": "iko", "breed": "jack russell"}, "filter": "ignored",
                                                "q": "unused"}}
    assert await call(http, {"template": media, "input": given}) == (
        200, {"template": "It's a {{ media.breed }}", "rendered": "It's a jack russell"})


# 5, 6 -----------------------------------------------------------------------------------------------

async def test_input_and_rendering_errors(http):
    await features(http, renderRoute=True, multimodal=True)
    assert await call(http, {"template": EMBEDDER_TEMPLATE, "input": {
        "kind": "indexDocument", "indexUid": "doggo", "id": "9999"}}) == fetching_input(
        "document `9999` not found in `doggo`", "render_document_not_found", 404)
    assert await call(http, {"template": EMBEDDER_TEMPLATE, "input": {"kind": "inlineDocument", "indexUid": "nope"}}) \
        == error("index_not_found", "Cannot open index `nope`: Index `nope` not found.", 404)
    assert await call(http, {"template": EMBEDDER_TEMPLATE, "input": {"kind": "inlineSearch", "inline": {"q": "a"}}}) \
        == rendering("cannot render a document template with a search query")
    status, body = await call(http, {"template": {"kind": "inlineDocumentTemplate", "inline": "{{ doc.breed }}"},
                                     "input": {"kind": "indexDocument", "indexUid": "doggo", "id": "0"}})
    assert (status, body["code"]) == (400, "template_rendering_error")
    assert body["message"].startswith("error while rendering template: user error: missing field in document: liquid: ")
    status, body = await call(http, {"template": {"kind": "inlineDocumentTemplate", "inline": "{{ doc.name"}})
    assert (status, body["code"]) == (400, "template_parsing_error")
    assert body["message"].startswith("error while fetching template: user error: cannot parse template: liquid: ")


# 7 -------------------------------------------------------------------------------------------------

async def test_keys_need_both_actions_on_the_indexes_named(http):
    await features(http, renderRoute=True)

    async def key(actions: list[str], indexes: list[str]) -> str:
        status, body = await call(http, {"actions": actions, "indexes": indexes, "expiresAt": None}, path="/keys")
        assert status == 201
        return body["key"]

    refused = (403, {"message": "The provided API key is invalid.", "code": "invalid_api_key", "type": "auth",
                     "link": "https://docs.meilisearch.com/errors#invalid_api_key"})
    body = {"template": EMBEDDER_TEMPLATE, "input": {"kind": "indexDocument", "indexUid": "doggo", "id": "0"}}
    assert await call(http, body, await key(["settings.get"], ["*"])) == refused
    assert await call(http, body, await key(["documents.get"], ["*"])) == refused
    assert await call(http, body, await key(["settings.get", "documents.get"], ["other"])) == refused
    for actions in (["settings.get", "documents.get"], ["*.get"], ["*"]):
        assert (await call(http, body, await key(actions, ["doggo"])))[0] == 200
    inline = {"template": {"kind": "inlineDocumentTemplate", "inline": "x"}}
    assert await call(http, inline, await key(["settings.get", "documents.get"], ["other"])) == (
        200, {"template": "x", "rendered": None})
