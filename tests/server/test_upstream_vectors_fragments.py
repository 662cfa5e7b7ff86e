"""The request-time part of Meilisearch's multimodal fragment tests
(crates/meilisearch/tests/vector/fragments.rs), ported to Loupe's HTTP routes.

The rest of that file (`indexing_fragments`, `replace_document`, `search_with_media`,
`deleting_fragments_deletes_vectors`, `composite`, …) needs embedders that embed
`indexingFragments` / `searchFragments`, which Loupe does not do yet: not ported.
"""
from __future__ import annotations

import pytest
from upstream_harness import KEY, Meili, error, same

from engine.engine import Engine
from server.app import create_app

REST = {"source": "rest", "url": "http://localhost:1337", "dimensions": 3, "request": "{{fragment}}",
        "response": {"data": "{{embedding}}"}}


@pytest.fixture
def engine(tmp_path):
    engine = Engine(tmp_path / "db", worker="thread")
    yield engine
    engine.close()


@pytest.fixture
async def meili(engine, aiohttp_client):
    return Meili(await aiohttp_client(create_app(engine, master_key=KEY)), engine)


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
