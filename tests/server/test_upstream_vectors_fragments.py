"""The request-time part of Meilisearch's multimodal fragment tests
(crates/meilisearch/tests/vector/fragments.rs), ported to Loupe's HTTP routes.

The rest of that file (`indexing_fragments`, `replace_document`, `search_with_media`,
`deleting_fragments_deletes_vectors`, `composite`, …) needs embedders that embed
`indexingFragments` / `searchFragments`, which Loupe does not do yet: not ported.
"""
from __future__ import annotations

from upstream_harness import error, same

REST = {"source": "rest", "url": "http://localhost:1337", "dimensions": 3, "request": "{{fragment}}",
        "response": {"data": "{{embedding}}"}}


async def test_experimental_feature_not_enabled(meili):
    """fragments.rs `experimental_feature_not_enabled`."""
    embedder = {**REST, "indexingFragments": {"basic": {"value": "{{ doc.name }} is a dog"}},
                "searchFragments": {"query": {"value": "Some pre-prompt for query {{ q }}"}}}
    same(await meili.refused_settings("doggo", {"embedders": {"rest": embedder}}), (400, error(
        "feature_not_enabled", "setting `indexingFragments` requires enabling the `multimodal` experimental feature. "
        "See https://github.com/orgs/meilisearch/discussions/846")))


async def test_both_fragments_and_document_template(meili):
    """fragments.rs `both_fragments_and_document_template` (`search_fragments_len` is upstream's
    wording)."""
    status, _ = await meili.call("PATCH", "/experimental-features", {"multimodal": True})
    assert status == 200
    embedder = {**REST, "indexingFragments": {"basic": {"value": "{{ doc.name }} is a dog"}},
                "searchFragments": {"justBreed": {"value": "It's a {{ media.breed }}"}},
                "documentTemplate": "{{ doc.name }} is a dog"}
    same(await meili.refused_settings("doggo", {"embedders": {"rest": embedder}}), (400, error(
        "vector_embedding_error", "Error while generating embeddings: user error: cannot pass both fragments and a "
        "document template.\n  - Note: 1 fragments declared in `indexingFragments` and 1 fragments declared in "
        "`search_fragments_len`.\n  - Hint: remove the declared fragments or remove the `documentTemplate`")))


FRAGMENTS = {
    **REST,
    "indexingFragments": {"withBreed": {"value": "{{ doc.name }} is a {{ doc.breed }}"},
                          "basic": {"value": "{{ doc.name }} is a dog"}},
    "searchFragments": {"justBreed": {"value": "It's a {{ media.breed }}"},
                        "justName": {"value": "{{ media.name }} is a dog"},
                        "query": {"value": "Some pre-prompt for query {{ q }}"}},
}
SEARCH_FRAGMENTS = {"justBreed": {"value": "It's a {{ media.breed }}"},
                    "justName": {"value": "{{ media.name }} is a dog"},
                    "query": {"value": "Some pre-prompt for query {{ q }}"}}


async def test_fragment_settings_are_stored(meili):
    """fragments.rs `init_fragments_index` then the settings half of
    `deleting_fragments_deletes_vectors`, on an index without documents (Loupe does not embed
    fragments yet): the embedder is stored, a fragment set to `null` goes, details list fragments
    by name, and GET shows neither documentTemplate nor its byte limit for a fragment embedder."""
    status, _ = await meili.call("PATCH", "/experimental-features", {"multimodal": True})
    assert status == 200
    same((await meili.settings("doggo", {"embedders": {"rest": FRAGMENTS}}))["status"], "succeeded")
    removed = {**FRAGMENTS, "indexingFragments": {**FRAGMENTS["indexingFragments"], "basic": None}}
    done = await meili.settings("doggo", {"embedders": {"rest": removed}})
    same(done["details"], {"embedders": {"rest": {
        "source": "rest", "dimensions": 3, "url": "http://localhost:1337",
        "indexingFragments": {"basic": None, "withBreed": {"value": "{{ doc.name }} is a {{ doc.breed }}"}},
        "searchFragments": SEARCH_FRAGMENTS, "request": "{{fragment}}", "response": {"data": "{{embedding}}"}}}})
    same(done["status"], "succeeded")
    status, settings = await meili.call("GET", "/indexes/doggo/settings")
    assert status == 200
    same(settings["embedders"], {"rest": {
        "source": "rest", "dimensions": 3, "url": "http://localhost:1337",
        "indexingFragments": {"withBreed": {"value": "{{ doc.name }} is a {{ doc.breed }}"}},
        "searchFragments": SEARCH_FRAGMENTS, "request": "{{fragment}}", "response": {"data": "{{embedding}}"},
        "headers": {}}})


async def fragments_index(meili):
    status, _ = await meili.call("PATCH", "/experimental-features", {"multimodal": True})
    assert status == 200
    same((await meili.settings("doggo", {"embedders": {"rest": FRAGMENTS}}))["status"], "succeeded")


async def test_ommitted_fragment_isnt_removed(meili):
    """fragments.rs `ommitted_fragment_isnt_removed` (settings half, no documents): `basic: null`
    removes basic, withBreed left out of the patch stays."""
    await fragments_index(meili)
    patch = {**FRAGMENTS, "indexingFragments": {"basic": None}}
    done = await meili.settings("doggo", {"embedders": {"rest": patch}})
    same(done["details"], {"embedders": {"rest": {
        "source": "rest", "dimensions": 3, "url": "http://localhost:1337", "indexingFragments": {"basic": None},
        "searchFragments": SEARCH_FRAGMENTS, "request": "{{fragment}}", "response": {"data": "{{embedding}}"}}}})
    status, settings = await meili.call("GET", "/indexes/doggo/settings")
    assert status == 200
    same(settings["embedders"]["rest"]["indexingFragments"],
         {"withBreed": {"value": "{{ doc.name }} is a {{ doc.breed }}"}})


async def test_remove_non_existant_and_double_remove_embedder(meili):
    """fragments.rs `remove_non_existant_embedder` and `double_remove_embedder` (no documents):
    removing an embedder that is not there succeeds, `null` shown in the details."""
    await fragments_index(meili)
    done = await meili.settings("doggo", {"embedders": {"rest": FRAGMENTS, "non-existant": None}})
    same((done["status"], list(done["details"]["embedders"])), ("succeeded", ["non-existant", "rest"]))
    same(done["details"]["embedders"]["non-existant"], None)
    for _ in range(2):
        done = await meili.settings("doggo", {"embedders": {"rest": None}})
        same((done["status"], done["details"]), ("succeeded", {"embedders": {"rest": None}}))
