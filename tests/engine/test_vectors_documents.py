"""`_vectors` in documents (hybrid.md §2, §8.7–§8.9), through the task queue, in process.

Properties:
1. Arrays, arrays of arrays, the explicit object and `null` are stored; `retrieveVectors` shows one
   entry per configured embedder, f32 widened to f64, `{"embeddings": [], ...}` for none; unknown
   `_vectors` keys stay verbatim; without `retrieveVectors` `_vectors` is hidden.
2. A bad value fails its task with Meilisearch's message and code; the stored index is unchanged
   and the next task succeeds.
3. A userProvided embedder and a document giving nothing: `vector_embedding_error` with its hints.
4. Replacing or deleting a document updates its embeddings; a document already holding embeddings
   may be updated without `_vectors`.
5. Removing an embedder writes the user vectors back as `{"embeddings": [[…]], "regenerate": false}`.
6. Turning binaryQuantized on re-quantizes stored embeddings (1.0 / 0.0 on retrieval).
7. A dump round trip keeps every embedding.
"""
import pytest

from engine.engine import Engine
from engine.settings import task_details, validate_settings_patch
from support import index_documents

MANUAL = {"embedders": {"manual": {"source": "userProvided", "dimensions": 3}}}


@pytest.fixture
def engine(tmp_path):
    engine = Engine(tmp_path / "db", worker="thread")
    yield engine
    engine.close()


def add(engine, docs, method="replace"):
    if method == "replace":
        return engine.wait_for_task(engine.add_documents("doggo", docs, primary_key="id")["uid"])
    return engine.wait_for_task(engine.add_documents("doggo", docs, primary_key="id", method=method)["uid"])


def settings(engine, patch):
    patch = validate_settings_patch(patch)
    return engine.wait_for_task(engine.update_settings("doggo", patch, task_details(patch))["uid"])


def docs(engine):
    return engine.index("doggo").get_documents(retrieve_vectors=True)[0]


def base(engine):
    index_documents(engine, "doggo", [
        {"id": 0, "name": "kefir", "_vectors": {"manual": [0, 0, 0]}},
        {"id": 1, "name": "echo", "_vectors": {"manual": [0.1, 1, 1], "other": [1, 2]}},
        {"id": 2, "name": "billou", "_vectors": {"manual": [[2, 2, 2], [2, 2, 3]]}},
        {"id": 3, "name": "intel", "_vectors": {"manual": {"regenerate": False, "embeddings": [3, 3, 3]}}},
        {"id": 4, "name": "max", "_vectors": {"manual": None}},
    ], MANUAL)


# 1 -------------------------------------------------------------------------------------------------

def test_shapes_stored_and_retrieved(engine):
    base(engine)
    got = docs(engine)
    assert got[0] == {"id": 0, "name": "kefir", "_vectors": {"manual": {"embeddings": [[0.0, 0.0, 0.0]], "regenerate": False}}}
    assert got[1] == {"id": 1, "name": "echo", "_vectors": {
        "other": [1, 2], "manual": {"embeddings": [[0.10000000149011612, 1.0, 1.0]], "regenerate": False}}}
    assert got[2]["_vectors"] == {"manual": {"embeddings": [[2.0, 2.0, 2.0], [2.0, 2.0, 3.0]], "regenerate": False}}
    assert got[3]["_vectors"] == {"manual": {"embeddings": [[3.0, 3.0, 3.0]], "regenerate": False}}
    assert got[4] == {"id": 4, "name": "max", "_vectors": {"manual": {"embeddings": [], "regenerate": False}}}
    index = engine.index("doggo")
    assert index.get_document("1") == {"id": 1, "name": "echo"}
    assert index.get_document("1", retrieve_vectors=True)["_vectors"]["other"] == [1, 2]
    assert index.get_documents()[0][1] == {"id": 1, "name": "echo"}


# 2 -------------------------------------------------------------------------------------------------

BAD = [
    ({"manual": {"embeddings": [0, 0, 0]}}, "invalid_vectors_type",
     "Bad embedder configuration in the document with id: `0`. Missing field `._vectors.manual.regenerate`\n"
     "  - note: `._vectors.manual` must be an array of floats, an array of arrays of floats, or an object with field "
     "`regenerate`"),
    ({"manual": {"regenerate": "yes please"}}, "invalid_vectors_type",
     "Bad embedder configuration in the document with id: `0`. Could not parse `._vectors.manual.regenerate`: "
     'invalid type: string "yes please", expected a boolean at line 1 column 26'),
    ({"manual": {"embeddings": True, "regenerate": True}}, "invalid_vectors_type",
     "Bad embedder configuration in the document with id: `0`. Invalid value type at `._vectors.manual.embeddings`: "
     "expected null or an array, but found a boolean: `true`"),
    ({"manual": {"embeddings": [True], "regenerate": True}}, "invalid_vectors_type",
     "Bad embedder configuration in the document with id: `0`. Invalid value type at "
     "`._vectors.manual.embeddings[0]`: expected a number or an array, but found a boolean: `true`"),
    ({"manual": {"embeddings": [[0.1, True], 0.3], "regenerate": False}}, "invalid_vectors_type",
     "Bad embedder configuration in the document with id: `0`. Invalid value type at "
     "`._vectors.manual.embeddings[0][1]`: expected a number, but found a boolean: `true`"),
    ({"manual": {"embeddings": [0.1, [0.2, 0.3]], "regenerate": False}}, "invalid_vectors_type",
     "Bad embedder configuration in the document with id: `0`. Invalid value type at "
     "`._vectors.manual.embeddings[1]`: expected a number, but found an array: `[0.2,0.3]`"),
    ({"manual": {"embeddings": [[0.1, 0.2], 0.3], "regenerate": False}}, "invalid_vectors_type",
     "Bad embedder configuration in the document with id: `0`. Invalid value type at "
     "`._vectors.manual.embeddings[1]`: expected an array, but found a number: `0.3`"),
    ({"manual": [0.1, 0.2]}, "invalid_vector_dimensions",
     "Invalid vector dimensions in document with id `0` in `._vectors.manual`.\n"
     "  - note: embedding #0 has dimensions 2\n  - note: embedder `manual` requires 3"),
]


@pytest.mark.parametrize("vectors,code,message", BAD)
def test_bad_vectors_fail_the_task_only(engine, vectors, code, message):
    base(engine)
    before = docs(engine)
    task = add(engine, [{"id": 7, "_vectors": {"manual": [1, 1, 1]}}, {"id": 0, "name": "kefir", "_vectors": vectors}])
    assert task["status"] == "failed"
    assert task["error"]["code"] == code
    assert task["error"]["message"] == "Index `doggo`: " + message
    assert docs(engine) == before
    assert add(engine, [{"id": 8, "_vectors": {"manual": [1, 1, 1]}}])["status"] == "succeeded"


def test_regenerate_alone_and_regenerate_true_accepted(engine):
    base(engine)
    assert add(engine, [{"id": 0, "name": "kefir", "_vectors": {"manual": {"embeddings": [23, 0.1, -12],
                                                                           "regenerate": True}}}])["status"] == "succeeded"
    assert add(engine, [{"id": 0, "name": "kefir", "_vectors": {"manual": {"regenerate": False}}}])["status"] == "succeeded"
    assert docs(engine)[0]["_vectors"]["manual"] == {"embeddings": [[23.0, 0.10000000149011612, -12.0]],
                                                     "regenerate": False}


# 3 -------------------------------------------------------------------------------------------------

NOTE = ("\n- Note: `manual` has `source: userProvided`, so documents must provide embeddings as an array in "
        "`_vectors.manual`.")


def test_missing_user_vectors_hints(engine):
    base(engine)
    task = add(engine, [{"id": i, "name": "x"} for i in range(40, 45)])
    assert task["error"] == {
        "message": "Index `doggo`: While embedding documents for embedder `manual`: no vectors provided for document "
                   "`40` and at least 4 other document(s)" + NOTE + "\n- Hint: opt-out for a document with "
                   "`_vectors.manual: null`",
        "code": "vector_embedding_error", "type": "invalid_request",
        "link": "https://docs.meilisearch.com/errors#vector_embedding_error"}
    task = add(engine, [{"id": 42, "name": "kefir", "_vector": {"manaul": [0, 0, 0]}}])
    assert task["error"]["message"] == ("Index `doggo`: While embedding documents for embedder `manual`: no vectors "
                                        "provided for document `42`" + NOTE +
                                        "\n- Hint: try replacing `_vector` by `_vectors` in 1 document(s).")
    task = add(engine, [{"id": 42, "name": "kefir", "_vectors": {"manaul": [0, 0, 0]}}])
    assert task["error"]["message"] == ("Index `doggo`: While embedding documents for embedder `manual`: no vectors "
                                        "provided for document `42`" + NOTE +
                                        "\n- Hint: try replacing `_vectors.manaul` by `_vectors.manual` in 1 document(s).")


# 4 -------------------------------------------------------------------------------------------------

def test_replace_delete_and_update(engine):
    base(engine)
    assert add(engine, [{"id": 0, "name": "kefir", "_vectors": {"manual": [10, 10, 10]}},
                        {"id": 1, "name": "echo", "_vectors": {"manual": None}}])["status"] == "succeeded"
    got = docs(engine)
    assert got[0]["_vectors"]["manual"]["embeddings"] == [[10.0, 10.0, 10.0]]
    assert got[1]["_vectors"]["manual"] == {"embeddings": [], "regenerate": False}
    assert add(engine, [{"id": 2, "name": "billy"}], method="update")["status"] == "succeeded"
    assert docs(engine)[2] == {"id": 2, "name": "billy", "_vectors": {"manual": {
        "embeddings": [[2.0, 2.0, 2.0], [2.0, 2.0, 3.0]], "regenerate": False}}}
    done = engine.wait_for_task(engine.delete_documents("doggo", ["0"])["uid"])
    assert done["status"] == "succeeded"
    assert [d["id"] for d in docs(engine)] == [1, 2, 3, 4]
    # a new document with the deleted id has no embedding left over
    assert add(engine, [{"id": 0, "_vectors": {"manual": None}}])["status"] == "succeeded"
    assert docs(engine)[-1]["_vectors"]["manual"] == {"embeddings": [], "regenerate": False}


# 5 -------------------------------------------------------------------------------------------------

def test_removed_embedder_writes_vectors_back(engine):
    base(engine)
    assert settings(engine, {"embedders": {"manual": None}})["status"] == "succeeded"
    index = engine.index("doggo")
    assert index.get_document("3") == {"id": 3, "name": "intel"}
    assert index.get_document("3", retrieve_vectors=True) == {
        "id": 3, "name": "intel", "_vectors": {"manual": {"embeddings": [[3.0, 3.0, 3.0]], "regenerate": False}}}
    assert index.get_document("1", retrieve_vectors=True)["_vectors"] == {
        "other": [1, 2], "manual": {"embeddings": [[0.10000000149011612, 1.0, 1.0]], "regenerate": False}}
    assert index.get_document("4", retrieve_vectors=True) == {"id": 4, "name": "max"}
    # configured again: the written-back vectors are taken from the documents
    assert settings(engine, MANUAL)["status"] == "succeeded"
    assert index.get_document("3", retrieve_vectors=True)["_vectors"] == {
        "manual": {"embeddings": [[3.0, 3.0, 3.0]], "regenerate": False}}


# 6 -------------------------------------------------------------------------------------------------

def test_binary_quantization_requantizes(engine):
    index_documents(engine, "doggo", [{"id": 0, "_vectors": {"manual": [-1.2, 2.3, 3.2]}}], MANUAL)
    patch = {"embedders": {"manual": {"source": "userProvided", "dimensions": 3, "binaryQuantized": True}}}
    assert settings(engine, patch)["status"] == "succeeded"
    assert docs(engine)[0]["_vectors"]["manual"]["embeddings"] == [[0.0, 1.0, 1.0]]
    assert add(engine, [{"id": 1, "_vectors": {"manual": [0.5, -0.5, 0]}}])["status"] == "succeeded"
    assert docs(engine)[1]["_vectors"]["manual"]["embeddings"] == [[1.0, 0.0, 0.0]]


# 7 -------------------------------------------------------------------------------------------------

def test_dump_round_trip_keeps_embeddings(engine, tmp_path):
    """(7) A dump writes the embeddings back into `_vectors`; importing it stores them again."""
    from engine.backup.dumps import create_dump, import_dump
    base(engine)
    before = docs(engine)
    task = {"uid": 99, "type": "dumpCreation", "status": "processing", "details": {}, "indexUid": None}
    uid = create_dump(engine.store, tmp_path / "dumps", 1_737_045_916_003_570_092, task)
    import_dump(tmp_path / "dumps" / f"{uid}.dump", tmp_path / "imported.ms")
    imported = Engine(tmp_path / "imported.ms", worker="none")
    try:
        assert imported.index("doggo").get_documents(retrieve_vectors=True)[0] == before
        assert imported.index("doggo").get_document("1") == {"id": 1, "name": "echo"}
    finally:
        imported.close()


def test_stats_count_embeddings(engine):
    """Index stats count embeddings and the documents holding at least one."""
    base(engine)
    stats = engine.index("doggo").stats()
    assert (stats["numberOfEmbeddings"], stats["numberOfEmbeddedDocuments"]) == (5, 4)


def test_changed_dimensions_drop_the_old_embeddings(engine):
    """Embeddings of the old width cannot serve a resized embedder: they are dropped."""
    base(engine)
    assert settings(engine, {"embedders": {"manual": {"source": "userProvided", "dimensions": 2}}})["status"] == "succeeded"
    assert docs(engine)[0]["_vectors"] == {"manual": {"embeddings": [], "regenerate": False}}
    assert add(engine, [{"id": 0, "_vectors": {"manual": [1, 2]}}])["status"] == "succeeded"
    assert engine.index("doggo").get_document("0", retrieve_vectors=True)["_vectors"]["manual"]["embeddings"] == [[1.0, 2.0]]
