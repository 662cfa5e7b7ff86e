"""Document ingestion throughput over HTTP: POST packages.ndjson, wait for the task.

    python bench/ingest.py [--file ../shared/datasets/debian-packages/packages.ndjson]

Prints documents/second for the whole round trip (upload + parse + durable enqueue + indexing),
the time to the 202 answer, the store size on disk and the peak RSS of server + worker.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import DATASETS, Server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", default=str(DATASETS / "debian-packages" / "packages.ndjson"))
    parser.add_argument("--settings", action="store_true", help="apply the benchmark index settings first")
    parser.add_argument("--storage-only", action="store_true",
                        help="searchableAttributes [] and no facets: measure document storage alone")
    args = parser.parse_args()
    payload = Path(args.file).read_bytes()
    count = payload.count(b"\n")
    server = Server()
    try:
        if args.storage_only:
            import json
            task = server.call("PATCH", "/indexes/packages/settings", json.dumps({"searchableAttributes": []}).encode())
            server.wait(task["taskUid"])
        if args.settings:
            import json
            settings = {"searchableAttributes": ["name", "summary", "description"],
                        "filterableAttributes": ["section", "priority", "tags", "architecture", "installed_size"],
                        "sortableAttributes": ["installed_size", "name"]}
            server.wait(server.call("PATCH", "/indexes/packages/settings", json.dumps(settings).encode())["taskUid"])
        start = time.perf_counter()
        task = server.call("POST", "/indexes/packages/documents?primaryKey=id", payload, "application/x-ndjson")
        accepted = time.perf_counter() - start
        done = server.wait(task["taskUid"])
        total = time.perf_counter() - start
        assert done["status"] == "succeeded", done
        stats = server.call("GET", "/indexes/packages/stats")
        print(f"file: {args.file} ({len(payload) / 2**20:.1f} MiB, {count} documents)")
        print(f"202 answered after {accepted:.2f} s; task {done['duration']}")
        print(f"total {total:.2f} s -> {stats['numberOfDocuments'] / total:,.0f} documents/s")
        print(f"store on disk: {server.disk_mb():.1f} MiB; peak RSS server+worker: {server.rss_mb():.0f} MiB")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
