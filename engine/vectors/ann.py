"""Approximate nearest neighbours with annoy, built from the stored embeddings after batches.

Annoy files are immutable, so they are caches, never the truth (design.md "Vectors"):

    <db>/vectors/<iid>-<embedder hex>-<build>.ann      the annoy forest (angular), item i = row i at build time
    <db>/vectors/<iid>-<embedder hex>-<build>.npz      owners, row ranks and fingerprints of those rows

A reader attaching the newest file to an `EmbedderMatrix` matches its items with the current rows by
(docid, rank, fingerprint): items whose row changed or vanished are ignored, and rows written since
the build (unmatched) are scored exactly with numpy.  Results are therefore always current; a
missing, stale or broken file only costs speed.  Builds run in a daemon thread of the writer's
process after a batch (`schedule_build`), write a temporary file and rename it: searches never wait.

Search (`AnnIndex.nearest`): annoy's neighbours of the query, oversampled by the universe's share of
the embedded documents, post-filtered by the universe and re-scored exactly, first; then, if the
search needs more, every other document of the universe exactly.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from pyroaring import BitMap

log = logging.getLogger("loupe.vectors")

#: Embedders with fewer embeddings are searched exactly (numpy is faster than any index there).
MIN_ROWS = 2000
#: Below this many float32 components in the matrix, one exact numpy scan is as fast as annoy at
#: recall@10 >= 0.95.  Measured on the Debian corpus (63,666 x 384 = 24.4 M components, MiniLM
#: embeddings, short queries): the exact scan takes ~4 ms on an idle core, while annoy (16-100 trees)
#: needs 5-6 ms of search_k to reach 0.92-0.93 recall.  `LOUPE_ANN_MIN_COMPONENTS` overrides it
#: (0: annoy wherever a forest exists, e.g. to measure it).
ANN_MIN_COMPONENTS = int(os.environ.get("LOUPE_ANN_MIN_COMPONENTS", 64_000_000))


def ann_worthwhile(components: int) -> bool:
    return components >= ANN_MIN_COMPONENTS
#: A file whose matched share of the current rows fell below this is rebuilt.
REBUILD_BELOW = 0.9
N_TREES = 64
OVERSAMPLE = 3
MIN_CANDIDATES = 400
SEARCH_K_FACTOR = 4  # annoy inspects n_trees × k × this many nodes
_SEED = np.random.default_rng(20260).integers(1, 2**31, size=4096, dtype=np.int64).astype(np.uint64)


def fingerprints(rows: np.ndarray) -> np.ndarray:
    """One uint64 per row that changes when any component changes."""
    if not len(rows):
        return np.zeros(0, dtype=np.uint64)
    bits = np.ascontiguousarray(rows, dtype=np.float32).view(np.uint32).astype(np.uint64)
    weights = np.resize(_SEED, rows.shape[1])
    return (bits * weights).sum(axis=1, dtype=np.uint64)


def _dir(store: Any) -> Path:
    return Path(store.path) / "vectors"


def _stem(iid: int, name: str) -> str:
    return f"{iid}-{name.encode().hex()}-"


def _files(store: Any, iid: int, name: str) -> list[tuple[int, Path]]:
    folder = _dir(store)
    if not folder.is_dir():
        return []
    stem = _stem(iid, name)
    out = []
    for path in folder.glob(stem + "*.ann"):
        try:
            out.append((int(path.stem[len(stem):]), path))
        except ValueError:
            continue
    return sorted(out)


class AnnIndex:
    """An annoy forest matched against one matrix version."""

    def __init__(self, annoy: Any, item_rows: np.ndarray, fresh_rows: np.ndarray, matched: float):
        self.annoy = annoy
        self.item_rows = item_rows      # annoy item -> current row (-1: stale)
        self.fresh_rows = fresh_rows    # current rows the forest does not hold
        self.matched = matched          # share of the current rows the forest holds

    def nearest(self, matrix: Any, vector: np.ndarray, universe: BitMap, wanted: int
                ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        from .search import from_candidates
        n_docs = len(matrix.docids)
        inside = universe.intersection_cardinality(matrix.with_vectors)
        if not inside:
            return
        share = inside / max(n_docs, 1)
        k = int(min(len(self.item_rows), max(MIN_CANDIDATES, wanted * OVERSAMPLE / share)))
        items = np.asarray(self.annoy.get_nns_by_vector(vector.tolist(), k, search_k=k * N_TREES * SEARCH_K_FACTOR),
                           dtype=np.int64)
        rows = self.item_rows[items] if len(items) else np.zeros(0, np.int64)
        rows = np.concatenate((rows[rows >= 0], self.fresh_rows))
        yield from from_candidates(matrix, vector, universe, rows, wanted)


_LOADED: dict[str, Any] = {}
_LOADED_LOCK = threading.Lock()


def attach_ann(store: Any, iid: int, name: str, matrix: Any, txn: Any = None) -> None:
    """Attach the newest annoy file of the embedder to ``matrix`` (nothing for small or binary ones)."""
    if matrix.quantized or len(matrix.rows) < MIN_ROWS or not ann_worthwhile(matrix.rows.size):
        return
    files = _files(store, iid, name)
    if not files:
        return
    _build, path = files[-1]
    try:
        annoy = _load(path, matrix.dimensions)
        meta = np.load(path.with_suffix(".npz"))
        matrix.ann = match(annoy, meta["owners"], meta["ranks"], meta["prints"], matrix)
    except Exception:  # a broken or half-written file: exact search, rebuild later
        log.warning("annoy file %s unusable", path, exc_info=True)
        matrix.ann = None


def _load(path: Path, dimensions: int) -> Any:
    from annoy import AnnoyIndex
    key = str(path)
    with _LOADED_LOCK:
        annoy = _LOADED.get(key)
    if annoy is None:
        annoy = AnnoyIndex(dimensions, "angular")
        annoy.load(key)  # mmap: shared by every process reading the file
        with _LOADED_LOCK:
            _LOADED[key] = annoy
    return annoy


def match(annoy: Any, owners: np.ndarray, ranks: np.ndarray, prints: np.ndarray, matrix: Any) -> AnnIndex:
    """Items of a forest matched with the matrix's current rows by (docid, rank, fingerprint)."""
    current = np.stack([matrix.owners.astype(np.uint64), matrix.row_ranks().astype(np.uint64),
                        fingerprints(matrix.rows)], axis=1)
    built = np.stack([owners.astype(np.uint64), ranks.astype(np.uint64), prints.astype(np.uint64)], axis=1)
    current_keys = current.view([("", np.uint64)] * 3).ravel()
    built_keys = built.view([("", np.uint64)] * 3).ravel()
    order = np.argsort(current_keys)
    position = np.searchsorted(current_keys[order], built_keys)
    position = np.minimum(position, len(order) - 1) if len(order) else position
    found = len(order) > 0
    item_rows = np.full(len(built_keys), -1, dtype=np.int64)
    if found:
        hit = current_keys[order][position] == built_keys
        item_rows[hit] = order[position[hit]]
    covered = np.zeros(len(current_keys), dtype=bool)
    covered[item_rows[item_rows >= 0]] = True
    fresh = np.flatnonzero(~covered).astype(np.int64)
    matched = float(covered.sum()) / max(len(current_keys), 1)
    return AnnIndex(annoy, item_rows, fresh, matched)


# -- building ---------------------------------------------------------------------------------------

def load_for_build(store: Any, iid: int, name: str, config: dict[str, Any], txn: Any) -> Any:
    """The embedder's matrix from the snapshot ``txn`` when it deserves a forest, else None."""
    from .matrix import EmbedderMatrix
    from .store import VectorTable
    table = VectorTable(store, txn, iid)
    dimensions = table.dimensions(name, config)
    if config.get("binaryQuantized") or not dimensions:
        return None
    rows = table.count_rows(name, dimensions)  # sized first: most matrices deserve no forest
    if rows < MIN_ROWS or not ann_worthwhile(rows * dimensions):
        return None
    return EmbedderMatrix.load(store, txn, iid, name, dimensions, False, project=False)


def build(store: Any, iid: int, name: str, matrix: Any) -> Path | None:
    """Build the embedder's forest from ``matrix`` (no transaction held); returns the file, or None
    when the newest file still covers enough of the rows."""
    from annoy import AnnoyIndex
    dimensions = matrix.dimensions
    files = _files(store, iid, name)
    if files:
        attach_ann(store, iid, name, matrix)
        if matrix.ann is not None and matrix.ann.matched >= REBUILD_BELOW:
            return None
    folder = _dir(store)
    folder.mkdir(exist_ok=True)
    number = files[-1][0] + 1 if files else 0
    path = folder / f"{_stem(iid, name)}{number}.ann"
    annoy = AnnoyIndex(dimensions, "angular")
    for i, row in enumerate(matrix.rows.tolist()):
        annoy.add_item(i, row)
    annoy.build(N_TREES)
    tmp = path.with_suffix(".tmp")
    annoy.save(str(tmp))
    annoy.unload()
    meta_tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(meta_tmp, owners=matrix.owners, ranks=matrix.row_ranks(), prints=fingerprints(matrix.rows))
    os.replace(meta_tmp, path.with_suffix(".npz"))
    os.replace(tmp, path)
    for _n, old in files:  # readers keep their mmap of an unlinked file
        for stale in (old, old.with_suffix(".npz")):
            try:
                stale.unlink()
            except OSError:
                pass
    return path


_BUILD_LOCK = threading.Lock()


def build_all(store: Any, registry: Any, uids: set[str] | None = None, stop: threading.Event | None = None
              ) -> list[Path]:
    """Build what the indexes' embedders need (all indexes when ``uids`` is None).  One build at a
    time per process (the thread lock) and per db path (an flock on the forests' folder)."""
    import fcntl
    folder = _dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    with _BUILD_LOCK, open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_all(store, registry, uids, stop)


def _build_all(store: Any, registry: Any, uids: set[str] | None, stop: threading.Event | None) -> list[Path]:
    built = []
    _remove_orphans(store, set(_embedders(store, registry, None)))
    for iid, name in _embedders(store, registry, uids):
        if stop is not None and stop.is_set():
            break
        with store.index_env.begin() as txn:  # one embedder's matrix at a time, the snapshot released to build
            settings = registry.get_meta(txn, iid, "settings") or {}
            config = (settings.get("embedders") or {}).get(name)
            matrix = load_for_build(store, iid, name, config, txn) if config is not None else None
        if matrix is not None:
            path = build(store, iid, name, matrix)
            if path is not None:
                built.append(path)
    return built


def _remove_orphans(store: Any, live: set[tuple[int, str]]) -> None:
    """Forests of deleted indexes and removed embedders go (readers keep a mapped file open)."""
    for path in _dir(store).glob("*-*-*.ann"):
        iid, hexname, _number = path.stem.split("-", 2)
        try:
            key = (int(iid), bytes.fromhex(hexname).decode())
        except ValueError:
            continue
        if key not in live:
            for stale in (path, path.with_suffix(".npz")):
                try:
                    stale.unlink()
                except OSError:
                    pass


def _embedders(store: Any, registry: Any, uids: set[str] | None) -> list[tuple[int, str]]:
    with store.index_env.begin() as txn:
        out = []
        for record in registry.all(txn):
            if uids is None or record["uid"] in uids:
                settings = registry.get_meta(txn, record["iid"], "settings") or {}
                out.extend((record["iid"], name) for name in settings.get("embedders") or {})
        return out


def directory_stamp(store: Any) -> int:
    """Changes whenever a forest is written or removed (readers re-attach then)."""
    try:
        return os.stat(_dir(store)).st_mtime_ns
    except OSError:
        return 0


#: A build waits until no batch has asked for one for this long: a bulk load of many payloads
#: builds once at its end, not after every payload.
SETTLE_SECONDS = 2.0


class Builder:
    """One daemon thread per writer process building forests after batches; a request arriving while
    it builds is remembered and served next (never more than one build at a time)."""

    def __init__(self, store: Any, registry: Any):
        self.store, self.registry = store, registry
        self.lock = threading.Lock()
        self.pending: set[str] = set()
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.last_request = 0.0

    def schedule(self, uids: set[str]) -> None:
        with self.lock:
            if self.stopping.is_set():
                return
            self.last_request = time.monotonic()
            self.pending |= uids
            if self.thread is not None and self.thread.is_alive():
                return
            self.thread = threading.Thread(target=self._run, name="loupe-annoy", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        while True:
            while not self.stopping.is_set():  # let a burst of batches settle
                with self.lock:
                    remaining = self.last_request + SETTLE_SECONDS - time.monotonic()
                if remaining <= 0:
                    break
                self.stopping.wait(remaining)
            with self.lock:
                uids, self.pending = self.pending, set()
                if not uids:
                    self.thread = None
                    return
            try:
                build_all(self.store, self.registry, uids, self.stopping)
            except Exception:
                if not self.stopping.is_set():
                    log.warning("annoy build failed", exc_info=True)

    def stop(self, timeout: float | None = 60) -> None:
        """No more builds; wait for the running one (before the store closes)."""
        self.stopping.set()
        thread = self.thread
        if thread is not None:
            thread.join(timeout)


_BUILDERS: dict[str, Builder] = {}


def builder_for(store: Any, registry: Any) -> Builder:
    with _LOADED_LOCK:
        builder = _BUILDERS.get(str(store.path))
        if builder is None or builder.stopping.is_set():
            builder = _BUILDERS[str(store.path)] = Builder(store, registry)
        return builder


def stop_builds(store: Any) -> None:
    """Stop this process's builder for ``store`` (Engine.close calls it before closing the store)."""
    with _LOADED_LOCK:
        builder = _BUILDERS.pop(str(store.path), None)
    if builder is not None:
        builder.stop()
