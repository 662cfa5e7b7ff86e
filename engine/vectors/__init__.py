"""Vectors: the `_vectors` of documents, their storage, and nearest-neighbour search (hybrid.md).

    document `_vectors` --parse.py-->      per-embedder float32 embeddings + regenerate flag
                        --writer.py-->     kept in step with documents and embedder settings
                        --store.py-->      the `vectors` LMDB table (the truth; the batch's write txn)
                        --view.py-->       `_vectors` as `retrieveVectors` shows it
    readers             --matrix.py-->     one float32 matrix per embedder and index version
                        --similarity.py--> exact f32 distances (hybrid.md §8.12, §8.13), distribution shift
                        --search.py-->     the plan: exact numpy, or annoy for large universes
                        --ann.py-->        annoy forests built after batches, matched to the current rows

Search uses them through `engine.search.rules.vector_sort`, `engine.search.hybrid` and
`engine.search.similar`.
"""
