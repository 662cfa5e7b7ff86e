"""`_vectors` filters -> documents, read from the embeddings store (hybrid.md, milli `filter/vector.rs`).

For one embedder ``e`` (the bitmaps come from its `EmbedderMatrix`, built once per index version):

    _vectors.e EXISTS                   documents with at least one embedding for e
    _vectors.e.userProvided EXISTS      documents whose embeddings (possibly none) the document gave
    _vectors.e.documentTemplate EXISTS  documents with embeddings, minus the user-provided ones
    _vectors.e.regenerate EXISTS        documents with embeddings the embedder may replace (`regenerate: true`)
    _vectors.e.fragments.f EXISTS       Loupe's embedders have no fragments: always the "does not exist" error
    _vectors EXISTS                     the union of the first line over every configured embedder

An embedder name that is not configured fails with upstream's message, pointing at its token.
Everything is set algebra on bitmaps: no document is looked at.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence

from pyroaring import BitMap

from .ast import Token, VectorExists
from .parser import token_error
from .suggest import suggestion


class VectorStatus(Protocol):
    """Which documents have embeddings, per configured embedder.  Bitmaps may be shared."""

    def embedders(self) -> Sequence[str]: ...

    def documents(self, embedder: str) -> BitMap: ...

    def user_provided(self, embedder: str) -> BitMap: ...

    def must_regenerate(self, embedder: str) -> BitMap: ...


class NoEmbedders:
    """The status of an index without embedders (in-memory sources, tests)."""

    def embedders(self) -> Sequence[str]:
        return ()

    def documents(self, embedder: str) -> BitMap:
        return BitMap()

    def user_provided(self, embedder: str) -> BitMap:
        return BitMap()

    def must_regenerate(self, embedder: str) -> BitMap:
        return BitMap()


class MatrixVectorStatus:
    """The status read from each embedder's matrix; ``load(name, config)`` gives the matrix (the
    search context's version cache, or a fresh load inside a write transaction)."""

    def __init__(self, settings: dict[str, Any], load: Callable[[str, dict[str, Any]], Any]):
        self.configs: dict[str, Any] = settings.get("embedders") or {}
        self.load = load

    def embedders(self) -> Sequence[str]:
        return list(self.configs)

    def documents(self, embedder: str) -> BitMap:
        return self.load(embedder, self.configs[embedder]).with_vectors

    def user_provided(self, embedder: str) -> BitMap:
        return self.load(embedder, self.configs[embedder]).user_provided

    def must_regenerate(self, embedder: str) -> BitMap:
        return self.load(embedder, self.configs[embedder]).must_regenerate


def vector_docids(node: VectorExists, status: VectorStatus, code: str) -> BitMap:
    """The documents ``node`` (without its EXISTS / NOT EXISTS) selects."""
    available = list(status.embedders())
    if node.embedder is None:
        parts = [status.documents(name) for name in available]
        return BitMap.union(*parts) if parts else BitMap()
    name = node.embedder.value
    if name not in available:
        raise token_error(code, _unknown_embedder(name, available), node.embedder)
    if node.kind == "fragments":
        assert node.fragment is not None
        raise token_error(code, _unknown_fragment(name, node.fragment), node.fragment)
    if node.kind == "userProvided":
        return BitMap(status.user_provided(name))
    documents = status.documents(name)
    if node.kind == "documentTemplate":
        return documents - status.user_provided(name)
    if node.kind == "regenerate":
        return documents & status.must_regenerate(name)
    return BitMap(documents)


def _unknown_embedder(name: str, available: list[str]) -> str:
    if not available:
        return f"The embedder `{name}` does not exist. This index does not have any configured embedders."
    ordered = sorted(available)
    hint = suggestion(name, ordered)
    did_you_mean = f" Did you mean `{hint}`?" if hint else ""
    listed = ", ".join(f"`{e}`" for e in ordered)
    return f"The embedder `{name}` does not exist. Available embedders are: {listed}.{did_you_mean}"


def _unknown_fragment(embedder: str, fragment: Token) -> str:
    return (f"The fragment `{fragment.value}` does not exist on embedder `{embedder}`. "
            "This embedder does not have any configured fragments.")


__all__ = ["VectorStatus", "NoEmbedders", "MatrixVectorStatus", "vector_docids"]
