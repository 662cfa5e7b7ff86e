"""A turbopuffer-style API under `/tpuf` (seed `turbopuffer-query.md`, issue 18 §2), so that
``Turbopuffer(base_url="http://host:7700/tpuf", api_key=KEY)`` works.

Decisions:

* A namespace is the Loupe index ``tpuf_{namespace}`` (names are Loupe uids), so it is listed,
  dumped, snapshotted and keyed like any index; ``Authorization: Bearer`` carries a Loupe key.
* A row is the document ``{"id", "attrs": {...}, "_vectors": {"vector~<metric>": v}}``: the
  namespace's distance metric travels in the embedder's name (``vector~cosine_distance`` or
  ``vector~euclidean_squared``), the attributes flagged ``full_text_search`` in the schema become
  the index's searchableAttributes (``attrs.<name>``), so the schema survives dumps.
* Filters work on every attribute: they are evaluated exactly, in turbopuffer's semantics, on the
  candidates' stored attributes (`filters`).
* ANN with ``cosine_distance`` is ranked by the engine's vector search (``$dist`` = 1 − cos,
  computed from the engine's (1 + cos)/2 similarity) in growing windows; ``euclidean_squared``,
  order-by-attribute, BM25 and aggregations read the namespace's candidates through the engine
  (a placeholder `Query`) and rank or fold them here.  BM25 is exact Okapi BM25 (k1 1.2, b 0.75)
  over the namespace's documents, with the statistics of each index version computed once
  (`bm25`).
"""
