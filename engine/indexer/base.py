"""What the index writer knows of an indexer: a structure derived from the documents, kept in step.

The idea: indexers are independent.  `apply.IndexWriter` builds every registered one
(`apply.INDEXERS`) from the same `IndexContext`, tells each of them every document change
(`on_change(docid, old, new)`), then lets each finish itself.  No indexer drives another, so adding
one (vectors next) is one entry in the registry.

Two optional abilities keep big batches fast without special cases in the writer:

* a `BulkIndexer` has an `Extractor`, a pure function of (documents, settings) that a forked helper
  may run on part of a batch (see `parallel.py`), and takes the extracted chunks back;
* `finish()` may hand work to a helper process and return a `Completion`: the writer calls every
  completion only after every indexer's `finish()`, so the helper works while the others finish.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import lmdb

from ..store import Store
from .fields import FieldsMap

Document = dict[str, Any]


@dataclass(frozen=True)
class IndexContext:
    """What a registered indexer is built from: the batch's write transaction and the index."""

    store: Store
    txn: lmdb.Transaction
    iid: int
    settings: dict[str, Any]
    fields: FieldsMap  # the writer's field ids, shared: ids are given in first-seen order
    fresh: bool        # nothing derived is stored for this index yet: indexers may skip every read


class Completion(Protocol):
    """The rest of an indexer's finish, waiting on a helper process."""

    def __call__(self) -> None:
        """Wait for the helper's share and write what is left."""

    def close(self) -> None:
        """Release the helper without writing (the batch failed).  Safe to call again."""


class DocumentIndexer(Protocol):
    """Anything kept in step with the documents (the writer's hook indexers need only this)."""

    def on_change(self, docid: int, old: Document | None, new: Document | None) -> None:
        """A document was added (``old`` None), replaced, or deleted (``new`` None)."""

    def finish(self) -> Completion | None:
        """Write the batch; work left to a helper process comes back as a `Completion`."""


class RegisteredIndexer(DocumentIndexer, Protocol):
    """An indexer every index has (`apply.INDEXERS`)."""

    #: LMDB tables it derives wholly from the documents: emptied on clear and before a reindex.
    tables: ClassVar[tuple[str, ...]]

    @classmethod
    def from_context(cls, context: IndexContext) -> Self: ...


class Extractor(Protocol):
    """What a batch's documents index, as a compact chunk: pure, so a forked helper may run it."""

    def extract(self, documents: Sequence[Document], lo: int, hi: int) -> Any:
        """The chunk of ``documents[lo:hi]`` (picklable: a helper sends it back)."""


@runtime_checkable
class BulkIndexer(DocumentIndexer, Protocol):
    """An indexer whose new documents can be extracted in bulk, possibly by a helper process."""

    extractor: Extractor

    def add_chunk(self, chunk: Any) -> Any:
        """Take a chunk of `extractor`, in document order; returns the handle `on_change_extracted` gets."""

    def on_change_extracted(self, docid: int, old: Document | None, new: Document, chunk: Any, j: int) -> None:
        """`on_change` for a new version already extracted: document ``j`` of ``chunk``."""
