"""Vectors: the `_vectors` of documents, their storage, and nearest-neighbour search (hybrid.md).

    document `_vectors`  --parse.py-->  per-embedder float32 embeddings + regenerate flag
                         --store.py-->  the `vectors` LMDB table (the truth; same write txn as documents)
                         --matrix.py--> one float32 matrix per embedder and index version (readers)
                         --similarity.py--> exact f32 distances (hybrid.md §8.12/§8.13)
                         --ann.py-->    annoy files built after batches, for large universes

Search uses them through `engine.search.rules.vector_sort` and `engine.search.hybrid`.
"""
