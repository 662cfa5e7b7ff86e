"""Meilisearch's own vector integration tests, ported to Loupe's HTTP routes: user-provided
embedders and `_vectors` (crates/meilisearch/tests/vector/mod.rs), embedder settings
(vector/settings.rs) and binary quantization (vector/binary_quantized.rs). The rest embedder's
tests, which need a mock embedding server, are in test_upstream_vectors_rest.py.

Bodies are upstream's snapshots, transcribed (uids, dates and durations redacted as upstream
does). Where hybrid.md deliberately differs from a stored upstream version, the test follows the
spec and says so.
"""
from __future__ import annotations

import pytest
from upstream_harness import added, error, same, task

MANUAL3 = {"embedders": {"manual": {"source": "userProvided", "dimensions": 3}}}
SETTINGS_DONE = task("doggo", "succeeded", "settingsUpdate",
                     {"embedders": {"manual": {"source": "userProvided", "dimensions": 3}}})
DEFAULT_DOCS = [
    {"id": 0, "name": "kefir", "_vectors": {"manual": [0, 0, 0]}},
    {"id": 1, "name": "echo", "_vectors": {"manual": [1, 1, 1]}},
    {"id": 2, "name": "billou", "_vectors": {"manual": [[2, 2, 2], [2, 2, 3]]}},
    {"id": 3, "name": "intel", "_vectors": {"manual": {"regenerate": False, "embeddings": [3, 3, 3]}}},
    {"id": 4, "name": "max", "_vectors": {"manual": {"regenerate": False, "embeddings": [[4, 4, 4], [4, 4, 5]]}}},
]


def manual(*embeddings, regenerate=False):
    return {"manual": {"embeddings": [list(map(float, e)) for e in embeddings], "regenerate": regenerate}}


def page(results, total=None):
    return {"results": results, "offset": 0, "limit": 20, "total": len(results) if total is None else total}


async def default_user_provided_documents(meili):
    """Upstream's `generate_default_user_provided_documents` (vector/mod.rs)."""
    await meili.settings("doggo", MANUAL3)
    done = await meili.add("doggo", DEFAULT_DOCS)
    assert done["status"] == "succeeded", done["error"]


DEFAULT_WITH_VECTORS = page([
    {"id": 0, "name": "kefir", "_vectors": manual([0, 0, 0])},
    {"id": 1, "name": "echo", "_vectors": manual([1, 1, 1])},
    {"id": 2, "name": "billou", "_vectors": manual([2, 2, 2], [2, 2, 3])},
    {"id": 3, "name": "intel", "_vectors": manual([3, 3, 3])},
    {"id": 4, "name": "max", "_vectors": manual([4, 4, 4], [4, 4, 5])},
])
EMPTY_SEMANTIC = {"hits": [], "query": "", "processingTimeMs": "[duration]", "limit": 20, "offset": 0,
                  "estimatedTotalHits": 0, "semanticHitCount": 0}


# vector/mod.rs ------------------------------------------------------------------------------------

async def test_add_remove_user_provided(meili):
    """vector/mod.rs `add_remove_user_provided`: `null` opts a document out, deleting a document
    removes its embeddings; `_vectors` shows every configured embedder."""
    same(await meili.settings("doggo", MANUAL3), SETTINGS_DONE)
    done = await meili.add("doggo", [{"id": 0, "name": "kefir", "_vectors": {"manual": [0, 0, 0]}},
                                     {"id": 1, "name": "echo", "_vectors": {"manual": [1, 1, 1]}}])
    same(done, task("doggo", "succeeded", "documentAdditionOrUpdate", added(2, 2)))
    same(await meili.documents("doggo"), page([{"id": 0, "name": "kefir", "_vectors": manual([0, 0, 0])},
                                               {"id": 1, "name": "echo", "_vectors": manual([1, 1, 1])}]))
    done = await meili.add("doggo", [{"id": 0, "name": "kefir", "_vectors": {"manual": [10, 10, 10]}},
                                     {"id": 1, "name": "echo", "_vectors": {"manual": None}}])
    assert done["status"] == "succeeded"
    same(await meili.documents("doggo"), page([{"id": 0, "name": "kefir", "_vectors": manual([10, 10, 10])},
                                               {"id": 1, "name": "echo", "_vectors": manual()}]))
    same((await meili.enqueue("DELETE", "/indexes/doggo/documents/0", None))["status"], "succeeded")
    same(await meili.documents("doggo"), page([{"id": 1, "name": "echo", "_vectors": manual()}]))


DIMENSIONS_ERROR = error(
    "invalid_vector_dimensions", "Index `doggo`: Invalid vector dimensions in document with id `0` in "
    "`._vectors.manual`.\n  - note: embedding #0 has dimensions 2\n  - note: embedder `manual` requires 3")


@pytest.mark.parametrize("vectors", [[0, 0], [[0, 0], [1, 1], [2, 2]]], ids=["one", "several"])
async def test_user_provide_mismatched_embedding_dimension(meili, vectors):
    """vector/mod.rs `user_provide_mismatched_embedding_dimension`."""
    await meili.settings("doggo", MANUAL3)
    done = await meili.add("doggo", [{"id": 0, "name": "kefir", "_vectors": {"manual": vectors}}])
    same(done, task("doggo", "failed", "documentAdditionOrUpdate", added(1, 0), DIMENSIONS_ERROR))


def bad_vectors(detail):
    return error("invalid_vectors_type",
                 f"Index `doggo`: Bad embedder configuration in the document with id: `0`. {detail}")


MISSING_REGENERATE = ("Missing field `._vectors.manual.regenerate`\n  - note: `._vectors.manual` must be an array "
                      "of floats, an array of arrays of floats, or an object with field `regenerate`")
EMBEDDINGS_ERRORS = [
    ({"embeddings": [0, 0, 0]}, MISSING_REGENERATE),
    ({}, MISSING_REGENERATE),
    ({"regenerate": "yes please"}, ("Could not parse `._vectors.manual.regenerate`: invalid type: string \"yes "
                                   "please\", expected a boolean at line 1 column 26")),
    ({"embeddings": True, "regenerate": True},
     "Invalid value type at `._vectors.manual.embeddings`: expected null or an array, but found a boolean: `true`"),
    ({"embeddings": [True], "regenerate": True}, ("Invalid value type at `._vectors.manual.embeddings[0]`: "
                                                 "expected a number or an array, but found a boolean: `true`")),
    ({"embeddings": [[True]], "regenerate": False}, ("Invalid value type at `._vectors.manual.embeddings[0][0]`: "
                                                    "expected a number, but found a boolean: `true`")),
    ({"regenerate": False, "embeddings": [0.1, [0.2, 0.3]]}, ("Invalid value type at "
     "`._vectors.manual.embeddings[1]`: expected a number, but found an array: `[0.2,0.3]`")),
    ({"regenerate": False, "embeddings": [[0.1, 0.2], 0.3]}, ("Invalid value type at "
     "`._vectors.manual.embeddings[1]`: expected an array, but found a number: `0.3`")),
    ({"regenerate": False, "embeddings": [[0.1, True], 0.3]}, ("Invalid value type at "
     "`._vectors.manual.embeddings[0][1]`: expected a number, but found a boolean: `true`")),
]


async def test_user_provided_embeddings_error(meili):
    """vector/mod.rs `user_provided_embeddings_error`: each malformed `_vectors.manual` object
    fails its task with upstream's message; two well-formed ones succeed (`regenerate: true` on a
    user-provided embedder, and `regenerate` alone)."""
    await default_user_provided_documents(meili)
    for value, detail in EMBEDDINGS_ERRORS:
        done = await meili.add("doggo", {"id": 0, "name": "kefir", "_vectors": {"manual": value}})
        same(done, task("doggo", "failed", "documentAdditionOrUpdate", added(1, 0), bad_vectors(detail)))
    for value in ({"embeddings": [23, 0.1, -12], "regenerate": True}, {"regenerate": False}):
        done = await meili.add("doggo", {"id": 0, "name": "kefir", "_vectors": {"manual": value}})
        assert done["status"] == "succeeded", (value, done["error"])


NO_VECTORS_NOTE = ("\n- Note: `manual` has `source: userProvided`, so documents must provide embeddings as an array "
                   "in `_vectors.manual`.\n- Hint: ")


def no_vectors(documents: str, hint: str):
    return error("vector_embedding_error", "Index `doggo`: While embedding documents for embedder `manual`: "
                 f"no vectors provided for document {documents}{NO_VECTORS_NOTE}{hint}")


async def test_user_provided_vectors_error(meili):
    """vector/mod.rs `user_provided_vectors_error` (upstream pins one indexing thread so that the
    first document named is the first one sent)."""
    await default_user_provided_documents(meili)
    done = await meili.add("doggo", [{"id": 40, "name": "kefir"}, {"id": 41, "name": "intel"},
                                     {"id": 42, "name": "max"}, {"id": 43, "name": "venus"}, {"id": 44, "name": "eva"}])
    same(done, task("doggo", "failed", "documentAdditionOrUpdate", added(5, 0), no_vectors(
        "`40` and at least 4 other document(s)", "opt-out for a document with `_vectors.manual: null`")))
    done = await meili.add("doggo", {"id": 42, "name": "kefir", "_vector": {"manaul": [0, 0, 0]}})
    same(done, task("doggo", "failed", "documentAdditionOrUpdate", added(1, 0), no_vectors(
        "`42`", "try replacing `_vector` by `_vectors` in 1 document(s).")))
    done = await meili.add("doggo", {"id": 42, "name": "kefir", "_vectors": {"manaul": [0, 0, 0]}})
    same(done, task("doggo", "failed", "documentAdditionOrUpdate", added(1, 0), no_vectors(
        "`42`", "try replacing `_vectors.manaul` by `_vectors.manual` in 1 document(s).")))


async def test_clear_documents(meili):
    """vector/mod.rs `clear_documents`: clearing removes the documents and their embeddings."""
    await default_user_provided_documents(meili)
    same((await meili.enqueue("DELETE", "/indexes/doggo/documents", None))["status"], "succeeded")
    same(await meili.documents("doggo"), page([]))
    same(await meili.search("doggo", {"vector": [1, 1, 1], "hybrid": {"embedder": "manual"}}), (200, EMPTY_SEMANTIC))


async def test_add_remove_one_vector_4588(meili):
    """vector/mod.rs `add_remove_one_vector_4588` and its three `.snap` files
    (snapshots/mod.rs/add_remove_one_vector_4588/): a document whose only embedding is removed
    stays findable by semantic search, in the last bucket."""
    same(await meili.settings("doggo", MANUAL3), SETTINGS_DONE)
    done = await meili.add("doggo", [{"id": 0, "name": "kefir", "_vectors": {"manual": [0, 0, 0]}}])
    same(done, task("doggo", "succeeded", "documentAdditionOrUpdate", added(1, 1)))
    done = await meili.add("doggo", [{"id": 0, "name": "kefir", "_vectors": {"manual": None}}])
    same(done, task("doggo", "succeeded", "documentAdditionOrUpdate", added(1, 1)))
    same(await meili.search("doggo", {"vector": [1, 1, 1], "hybrid": {"semanticRatio": 1.0, "embedder": "manual"}}),
         (200, {"hits": [{"id": 0, "name": "kefir"}], "query": "", "processingTimeMs": "[duration]", "limit": 20,
                "offset": 0, "estimatedTotalHits": 1, "semanticHitCount": 1}))
    same(await meili.documents("doggo"), page([{"id": 0, "name": "kefir", "_vectors": manual()}]))


# vector/settings.rs -------------------------------------------------------------------------------

SETTINGS_REFUSALS = [
    pytest.param({"manual": {"source": "userProvided", "dimensions": 128, "documentTemplate": "{{doc.documentTemplate}}"}},
                 "`.embedders.manual`: Field `documentTemplate` unavailable for source `userProvided`.\n  - note: "
                 "`documentTemplate` is available for sources: `openAi`, `huggingFace`, `ollama`, `rest`\n  - note: "
                 "available fields for source `userProvided`: `source`, `dimensions`, `distribution`, `binaryQuantized`",
                 id="documentTemplate-userProvided"),
    pytest.param({"default": {"source": "openAi", "revision": "42"}},
                 "`.embedders.default`: Field `revision` unavailable for source `openAi`.\n  - note: `revision` is "
                 "available for sources: `huggingFace`\n  - note: available fields for source `openAi`: `source`, "
                 "`model`, `apiKey`, `dimensions`, `documentTemplate`, `documentTemplateMaxBytes`, `url`, "
                 "`distribution`, `binaryQuantized`", id="revision-openAi"),
]


@pytest.mark.parametrize("embedders,message", SETTINGS_REFUSALS)
async def test_field_unavailable_for_source(meili, embedders, message):
    """vector/settings.rs `field_unavailable_for_source` (the wording of the newest stored version,
    the one hybrid.md §1 quotes; an older one read "(only available for sources: …). Available
    fields: …")."""
    same(await meili.refused_settings("doggo", {"embedders": embedders}),
         (400, error("invalid_settings_embedders", message)))


async def test_update_embedder(meili):
    """vector/settings.rs `update_embedder`: an empty embedder (source defaulting to openAi, no key
    needed to store it) is then replaced by a user-provided one."""
    same((await meili.settings("doggo", {"embedders": {"manual": {}}}))["status"], "succeeded")
    same(await meili.settings("doggo", {"embedders": {"manual": {"source": "userProvided", "dimensions": 2}}}),
         task("doggo", "succeeded", "settingsUpdate",
              {"embedders": {"manual": {"source": "userProvided", "dimensions": 2}}}))


async def test_reset_embedder_documents(meili):
    """vector/settings.rs `reset_embedder_documents`: resetting every setting keeps the documents
    and writes their user-provided embeddings back into `_vectors`; the embedder is gone."""
    await default_user_provided_documents(meili)
    same((await meili.enqueue("DELETE", "/indexes/doggo/settings", None))["status"], "succeeded")
    same(await meili.documents("doggo", retrieve_vectors=False),
         page([{"id": d["id"], "name": d["name"]} for d in DEFAULT_DOCS]))
    same(await meili.documents("doggo"), DEFAULT_WITH_VECTORS)
    same(await meili.search("doggo", {"vector": [1, 1, 1], "hybrid": {"embedder": "default"}}),
         (400, error("invalid_search_embedder", "Cannot find embedder with name `default`.")))


OLLAMA_URL_ERROR = ("Index `doggo`: Error while generating embeddings: user error: unsupported Ollama URL.\n  - For "
                    "`ollama` sources, the URL must end with `/api/embed` or `/api/embeddings`\n  - Got `{}`")


@pytest.mark.parametrize("url,accepted", [
    ("http://localhost:11434/api/embeddings", True), ("http://localhost:11434/api/embed", True),
    ("http://localhost:11434/api/embedd", False), ("http://localhost:11434/v1/embeddings", False)])
async def test_ollama_url_checks(meili, url, accepted):
    """vector/settings.rs `ollama_url_checks` (upstream redacts the url in details as "[url]"):
    with `dimensions` given nothing is sent, so only the URL's shape is checked."""
    embedder = {"source": "ollama", "model": "toto", "dimensions": 1, "url": url}
    done = await meili.settings("doggo", {"embedders": {"ollama": embedder}})
    err = None if accepted else error("vector_embedding_error", OLLAMA_URL_ERROR.format(url))
    same(done, task("doggo", "succeeded" if accepted else "failed", "settingsUpdate",
                    {"embedders": {"ollama": embedder}}, err))


HF = {"source": "huggingFace", "model": "sentence-transformers/all-MiniLM-L6-v2",
      "revision": "e4ce9877abf3edfe10b0d82785e83bdcb973e22e"}
COMPOSITE_GATE = ("requires enabling the `composite embedders` experimental feature. "
                  "See https://github.com/orgs/meilisearch/discussions/816")


def search_side_field(field):
    return (f"`.embedders.test.searchEmbedder`: Field `{field}` unavailable for source `huggingFace` for the search "
            "embedder.\n  - note: available fields for source `huggingFace` for the search embedder: `source`, "
            f"`model`, `revision`, `pooling`\n  - note: `{field}` is available when source `huggingFace` is not for "
            "the search embedder")


COMPOSITE_REFUSALS = [
    pytest.param({"source": "composite", "searchEmbedder": {**HF, "distribution": {"mean": 0.5, "sigma": 0.2}},
                  "indexingEmbedder": HF}, search_side_field("distribution"), id="inner-distribution"),
    pytest.param({"source": "composite", "searchEmbedder": {"source": "userProvided", "dimensions": 42},
                  "indexingEmbedder": HF},
                 "`.embedders.test.searchEmbedder.source`: Source `userProvided` is not available in a nested embedder",
                 id="nested-userProvided"),
    pytest.param({"source": "composite", "searchEmbedder": {"source": "composite", "searchEmbedder": HF,
                                                            "indexingEmbedder": HF}, "indexingEmbedder": HF},
                 "`.embedders.test.searchEmbedder.source`: Source `composite` is not available in a nested embedder",
                 id="nested-composite"),
    pytest.param({"source": "composite", "searchEmbedder": HF, "indexingEmbedder": {}},
                 "`.embedders.test.indexingEmbedder`: Missing field `source`.\n  - note: this field is mandatory for "
                 "nested embedders", id="indexing-without-source"),
    pytest.param({"source": "composite", "searchEmbedder": {}, "indexingEmbedder": HF},
                 "`.embedders.test.searchEmbedder`: Missing field `source`.\n  - note: this field is mandatory for "
                 "nested embedders", id="search-without-source"),
    pytest.param({"source": "composite", "searchEmbedder": HF},
                 "`.embedders.test`: Missing field `indexingEmbedder` (note: this field is mandatory for source "
                 "`composite`)", id="no-indexing"),
    pytest.param({"source": "composite", "indexingEmbedder": HF},
                 "`.embedders.test`: Missing field `searchEmbedder` (note: this field is mandatory for source "
                 "`composite`)", id="no-search"),
    pytest.param({"source": "composite", "searchEmbedder": {**HF, "binaryQuantized": True},
                  "indexingEmbedder": {**HF, "binaryQuantized": False}}, search_side_field("binaryQuantized"),
                 id="inner-quantized"),
    pytest.param({"source": "composite", "searchEmbedder": {**HF, "documentTemplate": "toto"}, "indexingEmbedder": HF},
                 search_side_field("documentTemplate"), id="prompt-in-search"),
]


async def test_composite_checks_need_the_feature(meili):
    """vector/settings.rs `composite_checks`, first part: without `compositeEmbedders`, the
    composite source and either nested embedder are refused (400 feature_not_enabled)."""
    for embedder, subject in [({"source": "composite", "searchEmbedder": HF, "indexingEmbedder": HF},
                               'using `"composite"` as source'),
                              ({"source": "userProvided", "searchEmbedder": HF}, "setting `searchEmbedder`"),
                              ({"source": "userProvided", "indexingEmbedder": HF}, "setting `indexingEmbedder`")]:
        same(await meili.refused_settings("test", {"embedders": {"test": embedder}}),
             (400, error("feature_not_enabled", f"{subject} {COMPOSITE_GATE}")))


@pytest.mark.parametrize("embedder,message", COMPOSITE_REFUSALS)
async def test_composite_checks(meili, embedder, message):
    """vector/settings.rs `composite_checks`: the refusals visible in the payload (400, no task)."""
    status, _ = await meili.call("PATCH", "/experimental-features", {"compositeEmbedders": True})
    assert status == 200
    same(await meili.refused_settings("test", {"embedders": {"test": embedder}}),
         (400, error("invalid_settings_embedders", message)))


async def test_composite_dimensions_must_match(meili):
    """vector/settings.rs `composite_checks`, "dimensions don't match": two ollama embedders with
    given dimensions (0x42 = 66 and 42) fail the task before anything is sent."""
    status, _ = await meili.call("PATCH", "/experimental-features", {"compositeEmbedders": True})
    assert status == 200
    embedder = {"source": "composite",
                "searchEmbedder": {"source": "ollama", "dimensions": 0x42, "model": "does-not-exist"},
                "indexingEmbedder": {"source": "ollama", "dimensions": 42, "model": "does-not-exist"}}
    done = await meili.settings("test", {"embedders": {"test": embedder}})
    same(done, task("test", "failed", "settingsUpdate", {"embedders": {"test": {
        "source": "composite",
        "searchEmbedder": {"source": "ollama", "model": "does-not-exist", "dimensions": 66},
        "indexingEmbedder": {"source": "ollama", "model": "does-not-exist", "dimensions": 42}}}},
        error("vector_embedding_error", "Index `test`: Error while generating embeddings: user error: error while "
              "generating test embeddings.\n  - the dimensions of embeddings produced at search time and at indexing "
              "time don't match.\n  - Search time dimensions: 66\n  - Indexing time dimensions: 42\n  - Note: "
              "Dimensions of embeddings produced by both embedders are required to match.")))


# vector/binary_quantized.rs -----------------------------------------------------------------------

async def test_retrieve_binary_quantize_status_in_the_settings(meili):
    """binary_quantized.rs `retrieve_binary_quantize_status_in_the_settings`: `binaryQuantized`
    shows in GET settings only once given, false as well as true."""
    for extra, shown in [({}, {}), ({"binaryQuantized": False}, {"binaryQuantized": False}),
                         ({"binaryQuantized": True}, {"binaryQuantized": True})]:
        done = await meili.settings("doggo", {"embedders": {"manual": {"source": "userProvided", "dimensions": 3,
                                                                       **extra}}})
        assert done["status"] == "succeeded", done["error"]
        status, settings = await meili.call("GET", "/indexes/doggo/settings")
        assert status == 200
        same(settings["embedders"]["manual"], {"source": "userProvided", "dimensions": 3, **shown})


QUANTIZED_DOCS = [{"id": 0, "name": "kefir", "_vectors": {"manual": [-1.2, -2.3, 3.2]}},
                  {"id": 1, "name": "echo", "_vectors": {"manual": [2.5, 1.5, -130]}}]
# hybrid.md §8.7: each component comes back as 1.0 if it was > 0, else 0.0. The stored upstream
# snapshots show -1.0 for the `stable` (arroy) vector store and 0.0 for the `experimental` (hannoy)
# one (binary_quantized.rs `binary_quantize_change_backend`); the spec's reading is v1.50's.
QUANTIZED = page([{"id": 0, "name": "kefir", "_vectors": manual([0, 0, 1])},
                  {"id": 1, "name": "echo", "_vectors": manual([1, 1, 0])}])


@pytest.mark.parametrize("quantize_first", [True, False], ids=["before", "after"])
async def test_binary_quantize_documents(meili, quantize_first):
    """binary_quantized.rs `binary_quantize_before_sending_documents` and
    `binary_quantize_after_sending_documents`: either way the stored embeddings are quantized."""
    quantized = {"embedders": {"manual": {"source": "userProvided", "dimensions": 3, "binaryQuantized": True}}}
    same((await meili.settings("doggo", quantized if quantize_first else MANUAL3))["status"], "succeeded")
    same((await meili.add("doggo", QUANTIZED_DOCS))["status"], "succeeded")
    if not quantize_first:
        same((await meili.settings("doggo", quantized))["status"], "succeeded")
    same(await meili.documents("doggo"), QUANTIZED)


async def test_try_to_disable_binary_quantization(meili):
    """binary_quantized.rs `try_to_disable_binary_quantization`: a task failure, not a 400."""
    quantized = {"source": "userProvided", "dimensions": 3, "binaryQuantized": True}
    same((await meili.settings("doggo", {"embedders": {"manual": quantized}}))["status"], "succeeded")
    back = {**quantized, "binaryQuantized": False}
    same(await meili.settings("doggo", {"embedders": {"manual": back}}), task(
        "doggo", "failed", "settingsUpdate", {"embedders": {"manual": back}}, error(
            "invalid_settings_embedders", "Index `doggo`: `.embedders.manual.binaryQuantized`: Cannot disable the "
            "binary quantization.\n - Note: Binary quantization is a lossy operation that cannot be reverted.\n - "
            "Hint: Add a new embedder that is non-quantized and regenerate the vectors.")))


async def test_binary_quantize_clear_documents(meili):
    """binary_quantized.rs `binary_quantize_clear_documents`: a partial update of the embedder
    (no source) turns quantization on; clearing then empties documents and vector store."""
    await default_user_provided_documents(meili)
    same((await meili.settings("doggo", {"embedders": {"manual": {"binaryQuantized": True}}}))["status"], "succeeded")
    same((await meili.enqueue("DELETE", "/indexes/doggo/documents", None))["status"], "succeeded")
    same(await meili.documents("doggo"), page([]))
    same(await meili.search("doggo", {"hybrid": {"embedder": "manual"}, "vector": [1, 1, 1]}), (200, EMPTY_SEMANTIC))
