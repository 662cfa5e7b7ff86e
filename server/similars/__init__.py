"""The similars API at `/v1` (seed `similars-api.md`, issue 18 §3): embeddings by user and project,
similarity search by id or by raw vector, listings, and the writes the seed leaves out.

A project is a Loupe index.  ``{user}/{project}`` maps to the index uid
``similars_{user}_{project}``: handles are 1 to 100 letters, digits and hyphens (no underscore),
so the uid is always a valid Loupe uid and the first two underscores split it back unambiguously.
The index is therefore listed by GET /indexes, dumped, snapshotted and covered by API keys like any
other (a key on `similars_alice_*` sees every project of alice; the `Authorization: Bearer` header
is Loupe's own).  Each embedding is one document ``{"id", "metadata", "_vectors": {"default": v}}``
of a ``userProvided`` embedder named ``default`` whose dimensions are those of the project's first
vector.

Modules: `projects` (uids, the index settings), `params` (query-string validation), `ranking`
(the engine search and the seed's threshold/exclusion/tie rules), `errors` (the
``{"title", "status", "detail"}`` shape), `routes` (handlers and the route table).
"""
