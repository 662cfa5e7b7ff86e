"""The turbopuffer-style API (issue 18 §2) over HTTP on the Debian corpus with the shipped
embeddings: write time, p50/p99 of ANN (`rank_by: ["vector", "ANN", v]`, recall@10 against the
exact top 10) and of BM25 on `description` (`["description", "BM25", q]`), beside tantivy's BM25 on
the same field in the same run (in process, default tokenizer, OR of the query words) with the
overlap of the two top tens.

    python bench/tpuf_api.py                     # full corpus (63,666 rows, 384 dimensions)
    python bench/tpuf_api.py --corpus 10k --limit 200
"""
from __future__ import annotations

import sys
from pathlib import Path

_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p and str(Path(p).resolve()) != _BENCH] + [_BENCH]

import argparse  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import orjson  # noqa: E402

from search import LoupeClient, quiet_server  # noqa: E402
from vectors import CORPORA, exact_top, load_corpus, load_queries, ms  # noqa: E402

NAMESPACE = "packages"
BASE = f"/tpuf/v2/namespaces/{NAMESPACE}"
HITS = 10


def write(client: LoupeClient, lines: list[bytes], matrix: np.ndarray, batch: int) -> float:
    start = time.perf_counter()
    for lo in range(0, len(lines), batch):
        rows = []
        for row in range(lo, min(lo + batch, len(lines))):
            document = orjson.loads(lines[row])
            rows.append({"id": row, "vector": matrix[row].tolist(), "description": document.get("description") or "",
                         "section": document.get("section")})
        client.call("POST", BASE, {"upsert_rows": rows, "distance_metric": "cosine_distance",
                                   "schema": {"description": {"type": "string", "full_text_search": True}}})
    return time.perf_counter() - start


def tantivy_index(lines: list[bytes]):
    import tantivy
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("row", stored=True, fast=True)
    builder.add_text_field("description", stored=False)
    schema = builder.build()
    index = tantivy.Index(schema, path=tempfile.mkdtemp(prefix="tpuf-bench-tantivy-"))
    writer = index.writer()
    for row, line in enumerate(lines):
        writer.add_document(tantivy.Document(row=row, description=orjson.loads(line).get("description") or ""))
    writer.commit()
    index.reload()
    return index


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", choices=list(CORPORA), default="full")
    ap.add_argument("--limit", type=int, default=None, help="queries per figure (default: all)")
    ap.add_argument("--batch", type=int, default=2_000, help="rows per write request")
    args = ap.parse_args()
    lines, _ids, matrix = load_corpus(args.corpus)
    queries = load_queries()[:args.limit]
    texts = list(dict.fromkeys(" ".join(re.findall(r"[a-z0-9]+", q["q"].lower())) for q in queries))
    texts = [t for t in texts if t]
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    exact = [exact_top(unit, q["vector"] / np.linalg.norm(q["vector"]))[0] for q in queries]
    print(f"{len(lines)} rows, {len(queries)} vectors, {len(texts)} BM25 texts, {args.corpus} corpus")

    started = time.perf_counter()
    index = tantivy_index(lines)
    print(f"tantivy index: {time.perf_counter() - started:.1f} s")
    searcher = index.searcher()
    tantivy_seconds, tantivy_top = [], []
    for text in texts:
        start = time.perf_counter()
        found = searcher.search(index.parse_query(text, ["description"]), HITS)
        tantivy_top.append([searcher.doc(address)["row"][0] for _score, address in found.hits])
        tantivy_seconds.append(time.perf_counter() - start)

    server = quiet_server(Path(f"/tmp/loupe-bench-tpuf-{time.time_ns()}.log"))
    try:
        client = LoupeClient(server.port)
        print(f"write: {write(client, lines, matrix, args.batch):.1f} s ({args.batch} rows per request)")
        ann_seconds, found = [], []
        for query in queries:
            start = time.perf_counter()
            data = client.call("POST", f"{BASE}/query", {"rank_by": ["vector", "ANN", query["vector"].tolist()],
                                                         "top_k": HITS})
            ann_seconds.append(time.perf_counter() - start)
            found.append([row["id"] for row in data["rows"]])
        recall = np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact)])
        print(f"tpuf ANN                {ms(ann_seconds)}   recall@10 {recall:.3f}")
        meili_seconds = []
        for query in queries:
            start = time.perf_counter()
            client.call("POST", f"/indexes/tpuf_{NAMESPACE}/search", {
                "vector": query["vector"].tolist(), "limit": HITS, "attributesToRetrieve": ["id"],
                "hybrid": {"embedder": "vector~cosine_distance", "semanticRatio": 1.0}})
            meili_seconds.append(time.perf_counter() - start)
        print(f"meilisearch route       {ms(meili_seconds)}   (same index, same vectors)")
        client.call("POST", f"{BASE}/query", {"rank_by": ["description", "BM25", texts[0]], "top_k": HITS})  # stats
        bm25_seconds, overlap = [], []
        for text, theirs in zip(texts, tantivy_top):
            start = time.perf_counter()
            data = client.call("POST", f"{BASE}/query", {"rank_by": ["description", "BM25", text], "top_k": HITS})
            bm25_seconds.append(time.perf_counter() - start)
            ours = [row["id"] for row in data["rows"]]
            overlap.append(len(set(ours) & set(theirs)) / max(1, len(theirs)))
        print(f"tpuf BM25 description   {ms(bm25_seconds)}   top-10 overlap with tantivy {np.mean(overlap):.3f}")
        print(f"tantivy BM25 (in proc)  {ms(tantivy_seconds)}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
