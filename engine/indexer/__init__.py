"""Writing to indexes: documents, settings and the search structures derived from them."""
