"""The Qdrant-style API (issue 18 §1) over HTTP on the Debian corpus with the shipped embeddings:
upsert time, p50/p99 of `/qdrant/.../points/query` (unfiltered and with a keyword filter on the
`section` closest to 1 % of the documents), recall@10 against the exact top 10, next to the same
semantic search through Meilisearch's route on the same index and the exact numpy floor.

    python bench/qdrant_api.py                   # full corpus (63,666 points, 384 dimensions)
    python bench/qdrant_api.py --corpus 10k --limit 200

The collection is Cosine, so the dialect's query goes through the engine's vector search; the
difference with the Meilisearch route is the dialect's own cost (parsing, the exact filter check,
the envelope).
"""
from __future__ import annotations

import sys
from pathlib import Path

_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p and str(Path(p).resolve()) != _BENCH] + [_BENCH]

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import orjson  # noqa: E402

from search import LoupeClient, quiet_server  # noqa: E402
from vectors import CORPORA, exact_top, load_corpus, load_queries, ms, one_percent_section  # noqa: E402

COLLECTION = "packages"
BASE = f"/qdrant/collections/{COLLECTION}"
HITS = 10


def upsert(client: LoupeClient, lines: list[bytes], matrix: np.ndarray, batch: int) -> float:
    start = time.perf_counter()
    client.call("PUT", BASE, {"vectors": {"size": int(matrix.shape[1]), "distance": "Cosine"}})
    for lo in range(0, len(lines), batch):
        points = []
        for row in range(lo, min(lo + batch, len(lines))):
            document = orjson.loads(lines[row])
            points.append({"id": row, "vector": matrix[row].tolist(),
                           "payload": {"name": document.get("id"), "section": document.get("section")}})
        last = lo + batch >= len(lines)
        client.call("PUT", f"{BASE}/points?wait={'true' if last else 'false'}", {"points": points})
    seconds = time.perf_counter() - start
    count = client.call("GET", BASE)["result"]["points_count"]
    if count != len(lines):
        raise SystemExit(f"{count} points indexed of {len(lines)}")
    return seconds


def run(client: LoupeClient, path: str, bodies: list[dict], rows_of) -> tuple[list[float], list[list[int]]]:
    seconds, found = [], []
    for body in bodies:
        start = time.perf_counter()
        data = client.call("POST", path, body)
        seconds.append(time.perf_counter() - start)
        found.append(rows_of(data))
    return seconds, found


def recall(found: list[list[int]], exact: list[list[int]]) -> float:
    return float(np.mean([len(set(f) & set(e)) / max(1, len(e)) for f, e in zip(found, exact)]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", choices=list(CORPORA), default="full")
    ap.add_argument("--limit", type=int, default=None, help="queries per figure (default: all 1,300)")
    ap.add_argument("--batch", type=int, default=2_000, help="points per upsert request")
    args = ap.parse_args()
    lines, _ids, matrix = load_corpus(args.corpus)
    queries = load_queries()[:args.limit]
    section, section_rows = one_percent_section(lines)
    print(f"{len(lines)} points, {len(queries)} queries, {args.corpus} corpus; filter: section = {section!r} "
          f"({len(section_rows)} points)")
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    floor, exact, exact_filtered = [], [], []
    for query in queries:
        vector = query["vector"] / np.linalg.norm(query["vector"])
        top, seconds = exact_top(unit, vector)
        floor.append(seconds)
        exact.append(top)
        exact_filtered.append(exact_top(unit, vector, section_rows)[0])

    server = quiet_server(Path(f"/tmp/loupe-bench-qdrant-{time.time_ns()}.log"))
    try:
        client = LoupeClient(server.port)
        print(f"upsert: {upsert(client, lines, matrix, args.batch):.1f} s ({args.batch} points per request)")
        plain = [{"query": q["vector"].tolist(), "limit": HITS, "with_payload": False} for q in queries]
        keyword = {"must": [{"key": "section", "match": {"value": section}}]}
        filtered = [{**body, "filter": keyword} for body in plain]
        meili = [{"vector": q["vector"].tolist(), "limit": HITS, "attributesToRetrieve": ["id"],
                  "hybrid": {"embedder": "~Cosine", "semanticRatio": 1.0}} for q in queries]
        qdrant_rows = lambda data: [p["id"] for p in data["result"]["points"]]  # noqa: E731
        for warm in (plain[:5], filtered[:5]):
            run(client, f"{BASE}/points/query", warm, qdrant_rows)
        seconds, found = run(client, f"{BASE}/points/query", plain, qdrant_rows)
        print(f"qdrant query            {ms(seconds)}   recall@10 {recall(found, exact):.3f}")
        seconds, found = run(client, f"{BASE}/points/query", filtered, qdrant_rows)
        print(f"qdrant query, filtered  {ms(seconds)}   recall@10 {recall(found, exact_filtered):.3f}")
        seconds, _found = run(client, f"/indexes/qdrant_{COLLECTION}/search", meili,
                              lambda data: [h["id"] for h in data["hits"]])
        print(f"meilisearch route       {ms(seconds)}   (same index, same vectors)")
        print(f"numpy exact floor       {ms(floor)}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
