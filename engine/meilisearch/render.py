"""A typed `SearchResult` as Meilisearch's JSON (api.md §5 response, ranking.md §8.2).

Hits keep the stored document's key order; `attributesToRetrieve` ∩ `displayedAttributes` selects
fields (dotted names reach into objects), `_vectors` shows only with `retrieveVectors`, then come
`_geoDistance`, `_rankingScore` and `_rankingScoreDetails`; `_formatted` and `_matchesPosition`
come from `engine.formatter`.  A hit that needs none of that is the stored JSON itself
(`orjson.Fragment`), never decoded and encoded again.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

import orjson

from ..filters.evaluate import haversine_m
from ..formatter import Formatter
from ..index import select_fields
from ..search.query import Hit, SearchResult
from ..search.scores import score_details
from ..search.sort_spec import GeoSortSpec

from .search_params import SearchParams


# keys a search adds to a hit: a document that has one of its own is rebuilt as a dict
_OPEN_OR_SPACE = frozenset((b"{", b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c"))
_UNFORMATTED = object()  # `render`'s ``formatted`` when the caller did not make it
_RESERVED_KEY = re.compile(rb'"_(?:formatted|matchesPosition|rankingScore|rankingScoreDetails|federation)"')


def retrieved_fields(displayed: Sequence[str] | None, wanted: Sequence[str] | None) -> list[str] | None:
    """The fields a hit shows: those asked for that are displayed (None: every field).  Only a
    displayed name itself counts: with displayedAttributes ``["doggos"]``, ``doggos.name`` is
    not retrievable (formatting.md §1; upstream intersects the two lists' field ids)."""
    if wanted is not None and "*" in wanted:
        wanted = None
    if displayed is None:
        return None if wanted is None else list(wanted)
    if wanted is None:
        return list(displayed)
    return [f for f in wanted if f in displayed]


def _appended(raw: bytes, added: dict[str, Any]) -> bytes:
    """The stored JSON object ``raw`` with ``added``'s keys after its own, never re-encoded."""
    if raw[-1:] == b"}" and raw[-2:-1] not in _OPEN_OR_SPACE:  # no padding before the brace
        comma = b","
    else:
        comma = b"," if raw.rstrip()[:-1].rstrip() != b"{" else b""
    return b"".join((memoryview(raw)[:-1], comma, memoryview(orjson.dumps(added))[1:]))


class HitRenderer:
    """Renders the hits of one search the way its parameters ask."""

    def __init__(self, params: SearchParams, displayed: Sequence[str] | None, *, as_fragments: bool = False,
                 show_score: bool | None = None, result: SearchResult | None = None):
        self.retrieved = retrieved_fields(displayed, params.attributes_to_retrieve)
        self.geo = next((s for s in params.sort or () if isinstance(s, GeoSortSpec)), None)
        self.show_score = params.show_ranking_score if show_score is None else show_score
        self.show_details = params.show_ranking_score_details
        self.with_vectors = params.retrieve_vectors and _vectors_displayed(displayed)
        self.vectors = result.vectors if result is not None else None  # docid -> `_vectors` (configured embedders)
        # the stored JSON with the formatter's and the scores' keys appended, never re-encoded
        self.as_extended = as_fragments and self.retrieved is None and self.geo is None
        self.as_stored = as_fragments and self.retrieved is None and self.geo is None and not (
            self.show_score or self.show_details or params.show_matches_position
            or params.attributes_to_highlight or params.attributes_to_crop)
        self.formatter = None
        if params.show_matches_position or params.attributes_to_highlight or params.attributes_to_crop:
            self.formatter = Formatter(
                result.terms if result is not None else (), result.tokenizer if result is not None else None,
                displayed, highlight=params.attributes_to_highlight, crop=params.crop_spec(),
                retrieve=params.attributes_to_retrieve, pre_tag=params.highlight_pre_tag,
                post_tag=params.highlight_post_tag, crop_marker=params.crop_marker,
                matches_position=params.show_matches_position,
                fields=result.fields if result is not None else None,
                field_tokenizer=result.field_tokenizer if result is not None else None)

    def render_page(self, hits: Sequence[Hit]) -> list[Any]:
        """`render` of every hit of a page: their `_formatted` objects are made together
        (`Formatter.formatted_page`, one pass over all their strings)."""
        if self.formatter is None or not self.formatter.formats or len(hits) < 2:
            return [self.render(hit) for hit in hits]
        documents = [orjson.loads(hit.stored) if hit.stored is not None else {} for hit in hits]
        formatted = self.formatter.formatted_page(documents)
        return [self.render(hit, document=document, formatted=one)
                for hit, document, one in zip(hits, documents, formatted)]

    def render(self, hit: Hit, federation: dict[str, Any] | None = None, *,
               document: dict[str, Any] | None = None, formatted: Any = _UNFORMATTED) -> Any:
        """The hit's JSON; ``federation`` (a federated search's `_federation` object) follows the
        document's fields and `_geoDistance`, before the scores.  ``document`` and ``formatted``:
        the stored document decoded and its `_formatted`, when `render_page` made them."""
        raw = hit.stored
        if self.as_stored and federation is None and raw is not None and not self.vectors and (
                self.with_vectors or b'"_vectors"' not in raw):
            return orjson.Fragment(raw)
        if document is None:
            document = orjson.loads(raw) if raw is not None else {}
        positions = None
        if self.formatter is not None:  # from the stored document, before _vectors/_geoDistance change
            if formatted is _UNFORMATTED:
                formatted = self.formatter.formatted(document)
            if self.formatter.matches_position:
                positions = self.formatter.matches_positions(document)
        elif formatted is _UNFORMATTED:
            formatted = None
        added = self._added_keys(hit, formatted, positions)
        if self.as_extended and federation is None and raw is not None and not _RESERVED_KEY.search(raw) and (
                not self.vectors) and (self.with_vectors or b'"_vectors"' not in raw):
            # the stored JSON (an object) followed by the added keys, the document never re-encoded
            return orjson.Fragment(_appended(raw, added) if added else raw)
        out = select_fields(document, self.retrieved)
        if not self.with_vectors:
            out.pop("_vectors", None)
        elif self.vectors and hit.docid in self.vectors:
            out.pop("_vectors", None)
            out["_vectors"] = self.vectors[hit.docid]
        elif "_vectors" in out:
            out["_vectors"] = out.pop("_vectors")
        if self.geo is not None:
            self._add_geo_distance(out, document)
        if federation is not None:
            out["_federation"] = federation
        out.update(added)
        return out

    def _added_keys(self, hit: Hit, formatted: dict[str, Any] | None,
                    positions: dict[str, Any] | None) -> dict[str, Any]:
        """What the search adds after the document's fields, in Meilisearch's order."""
        added: dict[str, Any] = {}
        if formatted:
            added["_formatted"] = formatted
        if positions is not None:
            added["_matchesPosition"] = positions
        if self.show_score:
            added["_rankingScore"] = hit.score
        if self.show_details:
            added["_rankingScoreDetails"] = score_details(hit.scores)
        return added

    def _add_geo_distance(self, out: dict[str, Any], document: dict[str, Any]) -> None:
        point = document.get("_geo")
        if not isinstance(point, dict) or (self.retrieved is not None and "_geo" not in self.retrieved):
            return
        try:
            distance = haversine_m(self.geo.lat, self.geo.lng, [float(point["lat"])], [float(point["lng"])])[0]
        except (KeyError, TypeError, ValueError):
            return
        out["_geoDistance"] = int(round(distance))


def _vectors_displayed(displayed: Sequence[str] | None) -> bool:
    return displayed is None or "*" in displayed or "_vectors" in displayed


def search_response(params: SearchParams, result: SearchResult, hits: list[Any], processing_ms: int,
                    request_uid: str, performance: dict[str, str] | None = None) -> dict[str, Any]:
    """The search envelope: hits, query, queryVector (semantic searches with `retrieveVectors`),
    time, then the page keys of the pagination mode asked for, then facets, the request's uid,
    performanceDetails (when asked) and semanticHitCount (api.md §5, hybrid.md §5.4)."""
    response: dict[str, Any] = {"hits": hits, "query": params.q or ""}
    if params.retrieve_vectors and result.query_vector is not None:
        response["queryVector"] = list(result.query_vector)
    response["processingTimeMs"] = processing_ms
    if params.is_finite_pagination():
        per_page = params.per_page
        response.update(hitsPerPage=per_page, page=params.page if params.page is not None else 1,
                        totalPages=-(-result.total // per_page) if per_page else 0, totalHits=result.total)
    else:
        response.update(limit=params.limit, offset=params.offset, estimatedTotalHits=result.total)
    if result.facets is not None:
        response["facetDistribution"] = result.facets.distribution
        response["facetStats"] = result.facets.stats
    response["requestUid"] = request_uid
    if performance is not None:
        response["performanceDetails"] = performance
    if result.semantic_hit_count is not None:
        response["semanticHitCount"] = result.semantic_hit_count
    return response
