"""The huggingFace embedder (numpy all-MiniLM-L6-v2) against the shipped vectors: quality and speed.

    python bench/hf_embedder.py              # first 300 documents of packages-10k, 50 queries
    python bench/hf_embedder.py --docs 1000

Prints: load time; cosine (min / mean) of each document's vector with the shipped one, rendered
through a documentTemplate that reproduces the dataset's recipe (`name: summary\\ndescription`);
documents per second of `embed_documents` (batched as the indexer would call it); p50/p99 of
`embed_query` on the typo queries (one query at a time, as search does).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine.embedders import make_embedder

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
RECIPE = "{{doc.name}}: {{doc.summary}}\n{{doc.description}}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()

    ids = (DATA / "embeddings" / "packages-10k.ids.txt").read_text().split("\n")[: args.docs]
    shipped = np.load(DATA / "embeddings" / "packages-10k.f16.npy")[: args.docs].astype(np.float32)
    with open(DATA / "debian-packages" / "packages-10k.ndjson") as lines:
        docs = [json.loads(next(lines)) for _ in range(args.docs)]
    assert [d["id"] for d in docs] == ids

    start = time.perf_counter()
    embedder = make_embedder("hf", {"source": "huggingFace", "model": "sentence-transformers/all-MiniLM-L6-v2",
                                     "documentTemplate": RECIPE})
    print(f"load: {time.perf_counter() - start:.2f} s, dimensions {embedder.dimensions}, cpus {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    texts = [embedder.render(doc, lambda name: True) for doc in docs]

    start = time.perf_counter()
    vectors = np.array(embedder.embed_documents(texts), dtype=np.float32)
    seconds = time.perf_counter() - start
    cos = (vectors * shipped).sum(1) / np.linalg.norm(vectors, axis=1) / np.linalg.norm(shipped, axis=1)
    print(f"documents: {args.docs}, {args.docs / seconds:.1f} documents/s; cosine with the shipped vectors "
          f"min {cos.min():.7f}, mean {cos.mean():.7f}, below 0.999: {int((cos < 0.999).sum())}")

    with open(DATA / "queries" / "typo.jsonl") as lines:
        queries = [json.loads(line)["q"] for line in lines][: args.queries]
    times = []
    for q in queries:
        start = time.perf_counter()
        embedder.embed_query(q)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(f"queries: {len(times)}, p50 {statistics.median(times):.1f} ms, p99 {times[int(len(times) * 0.99) - 1]:.1f} ms")


if __name__ == "__main__":
    main()
