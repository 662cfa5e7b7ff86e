"""The Meilisearch dialect: its requests parsed into the engine's typed `Query`, the engine's typed
`SearchResult` rendered back as Meilisearch's JSON.  Nothing here ranks, filters or counts.

    fields.py         the deserr-style walk of a JSON body: accepted keys, checkers, exact errors
    search_params.py  /search body and query string -> SearchParams -> Query
    facet_search.py   /facet-search body
    similar.py        /similar body and query string
    multi_search.py   /multi-search body, federation options and what federation forbids
    render.py         SearchResult -> hits JSON (`_rankingScore`, `_geoDistance`...), envelopes
    federation.py     federated search: typed results merged rule group by rule group, facets, distinct
    ranking_rules.py  whether federated queries' ranking rules can be compared (canonicalization)
    search.py         one search end to end: parameters -> engine -> JSON

It lives in the engine because the in-process API speaks it (`Index.search(q=...)` answers
Meilisearch's JSON) and it knows nothing of HTTP; the routes that serve it are server/routes/.
The other dialects (Qdrant- and turbopuffer-style) have no in-process form and live in server/.
"""
