"""Numeric range filters over every document, over HTTP (issue: "a numeric range filter over all
documents p50 <= 5 ms").

    python bench/range_filter.py [--corpus full|10k] [--queries 300]

Indexes the Debian corpus with `installed_size` filterable, then sends placeholder searches with
`installed_size a TO b` for random ranges on one keep-alive connection and prints p50/p99.
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import time

from common import DATASETS, Server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", choices=("full", "10k"), default="full")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    name = "packages.ndjson" if args.corpus == "full" else "packages-10k.ndjson"
    server = Server(["--no-analytics"])
    try:
        task = server.call("PATCH", "/indexes/packages/settings",
                           json.dumps({"filterableAttributes": ["installed_size"]}).encode())
        server.wait(task["taskUid"])
        task = server.call("POST", "/indexes/packages/documents?primaryKey=id",
                           (DATASETS / "debian-packages" / name).read_bytes(), "application/x-ndjson")
        assert server.wait(task["taskUid"])["status"] == "succeeded"
        time.sleep(1.0)  # let the cache warmer see the new index version
        conn = http.client.HTTPConnection("127.0.0.1", server.port)
        rng = random.Random(7)
        latencies = []
        for _ in range(args.queries):
            low = rng.randint(0, 5000)
            high = low + rng.randint(1000, 500000)
            body = json.dumps({"q": "", "filter": f"installed_size {low} TO {high}"})
            started = time.perf_counter()
            conn.request("POST", "/indexes/packages/search", body, {"Content-Type": "application/json"})
            conn.getresponse().read()
            latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        p50 = latencies[len(latencies) // 2]
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"numeric range over all documents ({args.corpus}, {args.queries} queries): "
              f"p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
