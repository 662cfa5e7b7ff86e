"""Dynamic search rules (the `dynamicSearchRules` experimental feature, api.md §19).

A rule pins chosen documents at chosen positions of a search's results while its conditions hold
(a time window, an empty or non-empty query, words the query must contain).  The modules:

* `model`   — the PATCH body checked with upstream's messages, applied to a stored rule, shown;
* `store`   — the rules, kept in the queue environment's metadata (so dumps and snapshots carry
  them), written only by the worker (`dsrUpdate`, `dsrClear` tasks);
* `listing` — `POST /dynamic-search-rules`: pagination and the `query` / `active` filter;
* `pins`    — the rules active for one search and the documents they pin, merged into a ranked page.
"""
