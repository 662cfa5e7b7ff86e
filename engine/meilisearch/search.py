"""One Meilisearch search end to end: parameters -> the engine's `Query` -> `SearchResult` -> JSON.

The routes and the in-process `Index.search(q=...)` both come through here; ``filter`` is the
request's filter with a tenant token's rules merged in, when the caller has one.
"""
from __future__ import annotations

import time
from typing import Any

from ..index import Index
from ..tasks.timefmt import format_trace_duration

from .facet_search import FacetSearchParams
from .render import HitRenderer, search_response
from .request_uid import new_request_uid
from .search_params import SearchParams


def run_search(index: Index, params: SearchParams, *, filter: Any = None, as_fragments: bool = False,
               request_uid: str | None = None) -> dict[str, Any]:
    """The search route's response body.  With ``as_fragments``, a hit returned exactly as stored is
    an `orjson.Fragment` of the stored JSON: a caller that only serialises the answer skips decoding
    and encoding every document again (the HTTP route does this).  ``request_uid`` names the request
    (a new one when None; a /multi-search shares one among its results)."""
    started = time.perf_counter_ns()
    result = index.execute(params.to_query(filter))
    searched = time.perf_counter_ns()
    renderer = HitRenderer(params, result.displayed, as_fragments=as_fragments, result=result)
    hits = renderer.render_page(result.hits)
    done = time.perf_counter_ns()
    performance = None
    if params.show_performance_details:
        performance = {"search": format_trace_duration(done - started),
                       "search > ranking": format_trace_duration(searched - started),
                       "search > formatting hits": format_trace_duration(done - searched)}
    return search_response(params, result, hits, (done - started) // 1_000_000, request_uid or new_request_uid(),
                           performance)


def run_facet_search(index: Index, params: FacetSearchParams, *, filter: Any = None) -> dict[str, Any]:
    """The facet-search route's response body (filters-facets.md §6.1)."""
    started = time.perf_counter()
    found = index.facet_search(params.to_query(filter), params.facet_name, params.facet_query,
                               exhaustive=bool(params.exhaustive_facet_count))
    return {"facetHits": [{"value": hit.value, "count": hit.count} for hit in found.hits],
            "facetQuery": params.facet_query, "processingTimeMs": int((time.perf_counter() - started) * 1000)}
