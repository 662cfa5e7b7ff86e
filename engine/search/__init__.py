"""Search: from a query to ranked hits (query terms, derivations, ranking rules, scores)."""
