"""Keeping stored embeddings in step with documents and embedder settings (hybrid.md §2, §8.7).

The index writer calls in at three moments, all inside the batch's write transaction:

* `prepare` before a payload is stored: every document's `_vectors` is parsed for the configured
  embedders (a bad one fails the whole task before anything is written), the configured keys leave
  the stored document (unknown keys stay verbatim), and a userProvided embedder that gets nothing
  for a document without stored embeddings fails the task with Meilisearch's hints;
* `apply` / `remove` once a document's docid is known or it is deleted;
* `settings_changed` when `embedders` change: a removed embedder's user-provided embeddings go back
  into the stored documents as ``{"embeddings": [[…]], "regenerate": false}``; a new embedder takes
  the `_vectors.<name>` documents already hold; turning binaryQuantized on re-quantizes.

A generating embedder configured without `dimensions` gets them from its test embedding (as
upstream) or its first embedding; they are recorded in the vector table (`VectorTable.dimensions`),
where every reader looks, and handed back to the embedder so the test embedding is sent once.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..embedders import Embedder, EmbeddingError, make_embedder
from ..embedders.stats import report_progress
from ..errors import LoupeError
from ..indexer.fields import searchable_weight
from ..store import Store
from .parse import (
    Entry,
    _Bad,
    missing_vectors_error,
    parse_document_vectors,
    parse_entry,
)
from .store import VectorTable, decode, quantize, user_provided_flag

Document = dict[str, Any]
EMBED_BATCH = 64  # texts per embedder request


def configured(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return settings.get("embedders") or {}


def is_user_provided(config: dict[str, Any]) -> bool:
    return config.get("source") == "userProvided"


def uses_fragments(config: dict[str, Any]) -> bool:
    return bool(config.get("indexingFragments") or config.get("searchFragments"))


def is_quantized(config: dict[str, Any]) -> bool:
    return bool(config.get("binaryQuantized"))


class VectorWriter:
    def __init__(self, store: Store, txn: Any, iid: int, uid: str, settings: dict[str, Any]):
        self.table = VectorTable(store, txn, iid)
        self.uid = uid
        self.embedders = configured(settings)
        self.searchable = settings.get("searchableAttributes") or ["*"]
        self._built: dict[str, Embedder] = {}  # by build_changed, for settings_changed to reuse

    def prepare(self, documents: list[Document], ids: list[str], docid_of: Callable[[str], int | None],
                read: Callable[[int], Document | None] | None = None, method: str = "replace"
                ) -> tuple[list[Document], list[dict[str, Entry]]]:
        """The documents as they will be stored and, per document, its embedder entries (generated
        ones included, see `_generate`)."""
        stored: list[Document] = []
        updates: list[dict[str, Entry]] = []
        missing: dict[str, list[str]] = {}
        given: dict[str, set[str]] = {}
        # user vectors for an embedder without configured dimensions must fit the learnt ones
        checked = {name: config if config.get("dimensions") or not self.dimensions(name)
                   else {**config, "dimensions": self.dimensions(name)} for name, config in self.embedders.items()}
        for doc, ext in zip(documents, ids):
            entries, rest = parse_document_vectors(doc, ext, checked, self.uid)
            if "_vectors" in doc:
                doc = dict(doc)
                if rest is None:
                    del doc["_vectors"]
                else:
                    doc["_vectors"] = rest
            for name, config in self.embedders.items():
                if name in entries or not is_user_provided(config):
                    continue
                if ext in given.get(name, ()):
                    continue
                docid = docid_of(ext)
                if docid is None or not self.table.has(name, docid):
                    missing.setdefault(name, []).append(ext)
            for name in entries:
                given.setdefault(name, set()).add(ext)
            stored.append(doc)
            updates.append(entries)
        for name, exts in missing.items():
            raise missing_vectors_error(name, self.uid, exts, documents)
        if read is not None and any(not is_user_provided(c) for c in self.embedders.values()):
            self._generate(stored, ids, updates, docid_of, read, method)
        return stored, updates

    def is_searchable(self, field: str) -> bool:
        """Whether the default template's ``field.is_searchable`` holds: searchableAttributes decide."""
        return searchable_weight(field, self.searchable) is not None

    def dimensions(self, name: str) -> int:
        """The embedder's dimensions: configured, else recorded from its embeddings, else 0."""
        return self.table.dimensions(name, self.embedders.get(name))

    def _embedder(self, name: str, config: dict[str, Any]) -> Embedder:
        """The embedder of ``config``, told the dimensions already learnt (no test embedding then)."""
        embedder = self._built.pop(name, None)
        if embedder is None:
            try:
                embedder = make_embedder(name, config)
            except EmbeddingError as err:
                raise self._failure(name, err) from None
        embedder.assume_dimensions(self.table.dimensions(name, config))
        return embedder

    def _failure(self, name: str, err: EmbeddingError) -> LoupeError:
        return LoupeError("vector_embedding_error",
                          f"Index `{self.uid}`: While embedding documents for embedder `{name}`: {err}")

    def _embed(self, embedder: Embedder, name: str, texts: list[str]) -> list[list[float]]:
        """``texts`` embedded; the first embeddings of an embedder without dimensions record them."""
        try:
            vectors = embedder.embed_documents(texts)
        except EmbeddingError as err:
            raise self._failure(name, err) from None
        if vectors and not self.table.dimensions(name, self.embedders.get(name)):
            self.table.record_dimensions(name, len(vectors[0]))
        return vectors

    def _put(self, name: str, docid: int, embeddings: np.ndarray, regenerate: bool, user_provided: bool = False) -> None:
        """Store one document's embeddings; an embedder that had no dimensions yet learns them."""
        if embeddings.size and not self.table.dimensions(name, self.embedders.get(name)):
            self.table.record_dimensions(name, int(embeddings.shape[1]))
        self.table.put(name, docid, embeddings, regenerate, user_provided)

    def _generate(self, stored: list[Document], ids: list[str], updates: list[dict[str, Entry]],
                  docid_of: Callable[[str], int | None], read: Callable[[int], Document | None], method: str) -> None:
        """Embeddings of the embedders that generate them: for every document that gives none (or
        asks `regenerate` without giving any), its rendered text is embedded in batches — unless
        the stored version renders the same text and holds a generated embedding already."""
        for name, config in self.embedders.items():
            if is_user_provided(config):
                continue
            embedder = self._embedder(name, config)
            texts: list[str] = []
            targets: list[int] = []
            for n, (doc, ext) in enumerate(zip(stored, ids)):
                entry = updates[n].get(name)
                if entry is not None and (entry.embeddings is not None or not entry.regenerate):
                    continue
                docid = docid_of(ext)
                old = read(docid) if docid is not None else None
                new = {**old, **doc} if method == "update" and old is not None else doc
                text = embedder.render(new, self.is_searchable, ext)
                if old is not None and self.table.has(name, docid):
                    kept = self.table.get(name, docid, self.dimensions(name))
                    if kept is not None and kept[1] and len(kept[0]) and embedder.render(old, self.is_searchable, ext) == text:
                        continue  # same text: the stored embedding stands
                texts.append(text)
                targets.append(n)
            for lo in range(0, len(texts), EMBED_BATCH):
                report_progress(lo, len(texts))
                vectors = self._embed(embedder, name, texts[lo:lo + EMBED_BATCH])
                for n, vector in zip(targets[lo:lo + EMBED_BATCH], vectors):
                    updates[n] = {**updates[n], name: Entry(np.asarray([vector], dtype=np.float32), True, generated=True)}

    def apply(self, docid: int, entries: dict[str, Entry]) -> None:
        for name, entry in entries.items():
            config = self.embedders[name]
            dimensions = self.dimensions(name)
            embeddings = entry.embeddings
            # given embeddings (even none, `null`) are the user's; `{"regenerate": …}` alone keeps the
            # stored ones and whose they were, as upstream's embedding status
            user_provided = not entry.generated
            if embeddings is None:
                current = self.table.get(name, docid, dimensions)
                embeddings = current[0] if current is not None else np.zeros((0, dimensions), dtype=np.float32)
                user_provided = self.table.user_provided(name, docid)
            if is_quantized(config) and embeddings.size:
                embeddings = quantize(embeddings)
            self._put(name, docid, embeddings, entry.regenerate, user_provided)

    def remove(self, docid: int) -> None:
        for name in self.embedders:
            self.table.delete(name, docid)

    def build_changed(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        """Build every new or changed generating embedder, documents or not, as upstream does when
        a settings task runs: its construction checks (an Ollama URL's API, a composite's two
        sides agreeing) and, without configured dimensions, its test embedding fail the task
        with ``Error while generating embeddings: …``. A new embedder's inferred dimensions are
        recorded, and `settings_changed` reuses the embedders built here (one test embedding)."""
        before, after = configured(old), configured(new)
        for name, config in after.items():
            if is_user_provided(config) or before.get(name) == config or uses_fragments(config):
                continue  # Loupe cannot embed fragments yet: such an embedder is stored unbuilt
            try:
                embedder = make_embedder(name, config)
                dimensions = embedder.dimensions
            except EmbeddingError as err:
                raise LoupeError("vector_embedding_error",
                                 f"Index `{self.uid}`: Error while generating embeddings: {err}") from None
            if name not in before and dimensions:  # anything recorded under this name is stale
                self.table.record_dimensions(name, dimensions)
            self._built[name] = embedder

    def settings_changed(self, old: dict[str, Any], new: dict[str, Any], read: Callable[[int], Document | None],
                         write: Callable[[int, Document, Document], None], all_docids: Any) -> None:
        """Move embeddings between the table and the stored documents as embedders come and go."""
        before, after = configured(old), configured(new)
        searchable_changed = (old.get("searchableAttributes") or ["*"]) != (new.get("searchableAttributes") or ["*"])
        self.searchable = new.get("searchableAttributes") or ["*"]
        for name, config in before.items():
            if name not in after:
                self._write_back(name, self.table.dimensions(name, config), read, write)
        for name, config in after.items():
            if name not in before:
                self.embedders = after
                self._take_from_documents(name, config, read, write, all_docids)
            elif (config.get("dimensions") or 0) != (before[name].get("dimensions") or 0):
                self.table.drop(name)  # embeddings of another width cannot serve this embedder
            elif is_quantized(config) and not is_quantized(before[name]):
                self._requantize(name, self.table.dimensions(name, config))
        self.embedders = after
        for name, config in after.items():
            if not is_user_provided(config) and (before.get(name) != config or searchable_changed):
                self._regenerate_all(name, config, read, all_docids, changed=before.get(name) != config)

    def _regenerate_all(self, name: str, config: dict[str, Any], read: Callable[[int], Document | None],
                        all_docids: Any, changed: bool) -> None:
        """A generating embedder that is new or changed (or whose documents render differently now
        that searchableAttributes changed) embeds again every document not holding user vectors.

        An embedder without configured dimensions infers them again by a test embedding, as
        upstream does when it builds a changed embedder (its model may have changed): when they
        differ from the recorded ones, the old embeddings cannot be read any more and go."""
        recorded = self.table.recorded_dimensions(name)
        if changed and not config.get("dimensions") and recorded is not None:
            embedder = self._fresh_dimensions(name, config, recorded)
        else:
            embedder = self._embedder(name, config)
        dimensions = self.dimensions(name)
        pending: list[tuple[int, str]] = []
        done, total = 0, len(all_docids)

        def flush() -> None:
            nonlocal done
            report_progress(done, total)
            done += len(pending)
            vectors = self._embed(embedder, name, [text for _d, text in pending])
            for (docid, _text), vector in zip(pending, vectors):
                embeddings = np.asarray([vector], dtype=np.float32)
                self._put(name, docid, quantize(embeddings) if is_quantized(config) else embeddings, True)
            pending.clear()

        for docid in all_docids:
            kept = self.table.get(name, docid, dimensions)
            if kept is not None and not kept[1]:
                continue  # user-provided: not the embedder's to replace
            document = read(docid)
            if document is None:
                continue
            pending.append((docid, embedder.render(document, self.is_searchable)))
            if len(pending) >= EMBED_BATCH:
                flush()
        if pending:
            flush()

    def _fresh_dimensions(self, name: str, config: dict[str, Any], recorded: int) -> Embedder:
        """A changed embedder without configured dimensions, whose dimensions are inferred anew."""
        try:
            embedder = self._built.pop(name, None) or make_embedder(name, config)
            inferred = embedder.dimensions
        except EmbeddingError as err:
            raise self._failure(name, err) from None
        if inferred and inferred != recorded:
            self.table.drop(name)  # also forgets the recorded dimensions
            self.table.record_dimensions(name, inferred)
        return embedder

    def _write_back(self, name: str, dimensions: int, read: Callable[[int], Document | None],
                    write: Callable[[int, Document, Document], None]) -> None:
        for docid, raw in list(self.table.scan(name)):
            embeddings, regenerate = decode(raw, dimensions)
            if regenerate or not embeddings.size:
                continue
            old = read(docid)
            if old is None:
                continue
            vectors = dict(old.get("_vectors") or {}) if isinstance(old.get("_vectors"), dict) else {}
            vectors[name] = {"embeddings": [[float(x) for x in row] for row in embeddings], "regenerate": False}
            new = {k: v for k, v in old.items() if k != "_vectors"}
            new["_vectors"] = vectors
            write(docid, old, new)
        self.table.drop(name)

    def _take_from_documents(self, name: str, config: dict[str, Any], read: Callable[[int], Document | None],
                             write: Callable[[int, Document, Document], None], all_docids: Any) -> None:
        for docid in all_docids:
            old = read(docid)
            vectors = old.get("_vectors") if old is not None else None
            if not isinstance(vectors, dict) or name not in vectors:
                continue
            try:
                entry = parse_entry(vectors[name], name)
            except _Bad as bad:
                raise LoupeError("invalid_vectors_type", f"Index `{self.uid}`: {bad.message}") from None
            dimensions = self.dimensions(name)
            embeddings = entry.embeddings if entry.embeddings is not None else np.zeros((0, dimensions), np.float32)
            if embeddings.size and dimensions and embeddings.shape[1] != dimensions:
                continue  # left in the document: it does not fit this embedder
            self.apply(docid, {name: Entry(embeddings, entry.regenerate, generated=entry.embeddings is None)})
            rest = {k: v for k, v in vectors.items() if k != name}
            new = {k: v for k, v in old.items() if k != "_vectors"}
            if rest:
                new["_vectors"] = rest
            write(docid, old, new)

    def _requantize(self, name: str, dimensions: int) -> None:
        for docid, raw in list(self.table.scan(name)):
            embeddings, regenerate = decode(raw, dimensions)
            self.table.put(name, docid, quantize(embeddings), regenerate, user_provided_flag(raw))
