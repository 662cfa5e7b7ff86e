"""A Qdrant-style API under `/qdrant` (seed `qdrant-search.md`, issue 18 §1), so that
``QdrantClient(url="http://host:7700/qdrant")`` works: the client takes the URL's path as its
REST prefix.

Decisions (each module says more):

* A collection is the Loupe index ``qdrant_{name}`` (names are Loupe uids: letters, digits, ``-``,
  ``_``), so it is listed by GET /indexes, dumped and snapshotted, and API keys apply: the
  ``api-key`` header (or ``Authorization: Bearer``) is a Loupe key, checked for the route's action
  against the collection's index uid (`collections`).
* A point is the document ``{"id", "version", "payload", "_vectors": {embedder: vector}}``; each
  vector of the collection is a ``userProvided`` embedder named ``{vector name}~{Distance}``
  (``~Cosine`` for the unnamed vector): the distance travels with the settings, so dumps keep it.
  Cosine vectors are normalised on insert.  ``version`` is the uid of the task that wrote the
  point.
* Filters work on every payload key: the collection's index is created with
  ``filterableAttributes: ["id", "payload"]`` (a field makes its sub-fields filterable).  A Qdrant
  filter is translated into a Loupe filter that selects a superset (Loupe compares strings
  case-folded; Qdrant keywords are exact) and every candidate is then checked exactly against the
  payload (`filters`).
* Scores are Qdrant's: Cosine is the raw cosine, computed from the engine's ``(1 + cos) / 2``
  similarity (the engine ranks, with its exact-below-2000 / ANN-above plan: Qdrant's "query
  planning by filter cardinality"); Dot, Euclid and Manhattan, and the ``best_score`` recommend
  strategy, are scored exactly here over the engine's filtered candidates and their vectors
  (`scoring`, `search`).  The engine keeps its one (cosine) vector search API.
"""
