"""Search: from `q` to query terms, derivations, ranking rules and hits."""
