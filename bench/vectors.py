"""Vector search on the full Debian corpus with the shipped embeddings as a userProvided embedder.

    python bench/vectors.py [--queries 300] [--docs 63666] [--force-ann]

One fresh server; two indexes of the same documents (settings first, then the documents in
payloads of 8,000): `plain` without vectors, `vec` with `_vectors.manual` (384 float32 from
../shared/datasets/embeddings/packages.f16.npy).  Prints:

* indexing time of each (sum of the documents tasks' durations) and the difference;
* over HTTP, one keep-alive connection: semantic (`semanticRatio: 1`, the query vector given) and
  hybrid (`semanticRatio: 0.5` with the query text and vector) p50/p99, limit 10;
* the exact numpy top-10 time on the same queries (the floor);
* recall@10 of the served semantic results against exact numpy top-10, unfiltered and with a filter
  keeping ~1 % of the documents (a `section`).  With `--force-ann` the server takes the annoy path
  wherever a forest exists (the script waits for the last build); by default a matrix this size is
  scanned exactly (see engine/vectors/ann.py ANN_MIN_COMPONENTS).
"""
from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATASETS, Server  # noqa: E402

EMB = DATASETS / "embeddings"
BATCH = 8000


def load(n: int):
    docs = []
    with open(DATASETS / "debian-packages" / "packages.ndjson", "rb") as f:
        for line in f:
            docs.append(json.loads(line))
            if len(docs) >= n:
                break
    vectors = np.load(EMB / "packages.f16.npy")[:n].astype(np.float32)
    ids = (EMB / "packages.ids.txt").read_text().split()[:n]
    assert [d["id"] for d in docs] == ids
    return docs, vectors


def index(server: Server, uid: str, docs: list[dict], settings: dict) -> float:
    server.wait(server.call("PATCH", f"/indexes/{uid}/settings", json.dumps(settings).encode())["taskUid"])
    seconds = 0.0
    for lo in range(0, len(docs), BATCH):
        body = json.dumps(docs[lo:lo + BATCH]).encode()
        task = server.wait(server.call("POST", f"/indexes/{uid}/documents?primaryKey=id", body)["taskUid"])
        assert task["status"] == "succeeded", task
        seconds += parse_duration(task["duration"])
    return seconds


def parse_duration(text: str) -> float:
    import re
    match = re.fullmatch(r"PT(?:(\d+)M)?([\d.]+)S", text)
    return (int(match.group(1) or 0) * 60 + float(match.group(2))) if match else float("nan")


def percentiles(times: list[float]) -> str:
    a = np.array(times) * 1000
    return f"p50 {np.percentile(a, 50):.2f} ms, p99 {np.percentile(a, 99):.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--docs", type=int, default=63666)
    parser.add_argument("--force-ann", action="store_true",
                        help="annoy wherever a forest exists (LOUPE_ANN_MIN_COMPONENTS=0), to measure its recall")
    args = parser.parse_args()
    if args.force_ann:
        import os
        os.environ["LOUPE_ANN_MIN_COMPONENTS"] = "0"  # inherited by the server
    docs, vectors = load(args.docs)
    sections = Counter(d.get("section") for d in docs)
    section = min(sections, key=lambda s: abs(sections[s] - len(docs) / 100))
    qvec = np.load(EMB / "queries.f16.npy").astype(np.float32)
    qids = (EMB / "queries.ids.txt").read_text().split()
    texts = {}
    for name in ("typo", "multi"):
        for line in open(DATASETS / "queries" / f"{name}.jsonl"):
            record = json.loads(line)
            texts[record["qid"]] = record["q"]
    picked = [(i, texts[q]) for i, q in enumerate(qids) if q in texts][:args.queries]
    in_section = np.array([d.get("section") == section for d in docs])
    # the exact answers and the floor first, before any server runs: numpy's BLAS threads spin after
    # each call, and interleaved with the server's they would slow both sides
    floor, exact, exact_filtered = [], {}, {}
    for i, _text in picked:
        q = qvec[i]
        t = time.perf_counter()
        scores = vectors @ q
        top = np.argpartition(-scores, 10)[:10]
        top = top[np.argsort(-scores[top])]
        floor.append(time.perf_counter() - t)
        exact[i] = top
        exact_filtered[i] = np.argsort(-np.where(in_section, scores, -np.inf))[:10]

    server = Server()
    try:
        settings = {"searchableAttributes": ["name", "summary", "description"], "filterableAttributes": ["section"]}
        plain_s = index(server, "plain", docs, settings)
        with_vectors = [{**d, "_vectors": {"manual": v}} for d, v in zip(docs, vectors.tolist())]
        vec_s = index(server, "vec", with_vectors, {**settings, "embedders": {
            "manual": {"source": "userProvided", "dimensions": 384}}})
        print(f"indexing {len(docs)} documents: plain {plain_s:.1f} s, with vectors {vec_s:.1f} s "
              f"(+{vec_s - plain_s:.1f} s)")
        if args.force_ann:
            folder = server.db / "vectors"
            started = time.monotonic()
            # the builder rebuilds after each batch: wait until a forest covers the last one
            while time.monotonic() - started < 900:
                forests = sorted(folder.glob("*.ann"))
                if forests and (folder / ".lock").exists():
                    import fcntl
                    with open(folder / ".lock") as lock:
                        fcntl.flock(lock, fcntl.LOCK_EX)  # no build running any more
                    break
                time.sleep(0.5)
            print(f"annoy forest ready {time.monotonic() - started:.1f} s after the last batch: "
                  f"{sorted(p.name for p in folder.glob('*.ann'))}")
        else:
            print("plan: exact numpy scan (the matrix is below LOUPE_ANN_MIN_COMPONENTS)")

        conn = http.client.HTTPConnection("127.0.0.1", server.port)

        def search(body: dict) -> dict:
            conn.request("POST", "/indexes/vec/search", json.dumps(body), {"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            assert response.status == 200, data[:300]
            return json.loads(data)

        ids = np.array([d["id"] for d in docs])
        # warm-up: the first search of a version loads the matrix
        search({"vector": qvec[0].tolist(), "hybrid": {"embedder": "manual", "semanticRatio": 1.0}, "limit": 10})
        sem_times, hyb_times, recall, recall_f, server_ms = [], [], [], [], []
        for i, text in picked:
            q = qvec[i]
            t = time.perf_counter()
            got = search({"vector": q.tolist(), "hybrid": {"embedder": "manual", "semanticRatio": 1.0}, "limit": 10,
                          "attributesToRetrieve": ["id"]})
            sem_times.append(time.perf_counter() - t)
            server_ms.append(got["processingTimeMs"])
            t = time.perf_counter()
            search({"q": text, "vector": q.tolist(), "hybrid": {"embedder": "manual", "semanticRatio": 0.5},
                    "limit": 10, "attributesToRetrieve": ["id"]})
            hyb_times.append(time.perf_counter() - t)
            recall.append(len({h["id"] for h in got["hits"]} & set(ids[exact[i]])) / 10)
            got_f = search({"vector": q.tolist(), "hybrid": {"embedder": "manual", "semanticRatio": 1.0}, "limit": 10,
                            "attributesToRetrieve": ["id"], "filter": f'section = "{section}"'})
            recall_f.append(len({h["id"] for h in got_f["hits"]} & set(ids[exact_filtered[i]])) / 10)
        print(f"semantic (ratio 1, vector): {percentiles(sem_times)} (processingTimeMs p50 "
              f"{np.percentile(server_ms, 50):.0f})")
        print(f"hybrid (ratio 0.5, q + vector): {percentiles(hyb_times)}")
        print(f"exact numpy top-10 floor (in the bench process, before the server started): {percentiles(floor)}")
        print(f"recall@10 unfiltered {np.mean(recall):.3f}; with `section = {section}` "
              f"({sections[section]} documents, {100 * sections[section] / len(docs):.2f} %) {np.mean(recall_f):.3f}")
    finally:
        server.stop()
        import shutil
        shutil.rmtree(server.tmp, ignore_errors=True)  # the store is ~0.8 GB


if __name__ == "__main__":
    main()
