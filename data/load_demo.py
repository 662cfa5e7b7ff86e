"""Load the demo dataset into a running Loupe (or Meilisearch) server.

    python data/load_demo.py [--url http://127.0.0.1:7700] [--key MASTER_KEY] [--index packages]

Creates the index with the settings the benchmarks use (searchable name/summary/description,
filterable section/priority/tags/architecture/installed_size, sortable installed_size/name) — the
ones the search preview at `/` builds its facets and sort choices from — then
posts `debian-packages-2k.ndjson` — 2,000 Debian packages sampled from
../shared/datasets/debian-packages/packages-10k.ndjson (every 5th document) — and waits for it.
Only the standard library is used, so it runs before anything else is installed.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SETTINGS = {
    "searchableAttributes": ["name", "summary", "description"],
    "filterableAttributes": ["section", "priority", "tags", "architecture", "installed_size"],
    "sortableAttributes": ["installed_size", "name"],
    # the preview page shows exact hit counts (finite pagination): let them count every document
    "pagination": {"maxTotalHits": 10000},
}


def call(url: str, key: str | None, method: str, path: str, body: bytes | None = None,
         content_type: str = "application/json") -> dict:
    request = urllib.request.Request(url + path, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", content_type)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def wait(url: str, key: str | None, task_uid: int) -> dict:
    while True:
        task = call(url, key, "GET", f"/tasks/{task_uid}")
        if task["status"] not in ("enqueued", "processing"):
            return task
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7700")
    parser.add_argument("--key", default=None, help="master or admin API key")
    parser.add_argument("--index", default="packages")
    parser.add_argument("--file", default=str(HERE / "debian-packages-2k.ndjson"))
    args = parser.parse_args(argv)
    settings_task = call(args.url, args.key, "PATCH", f"/indexes/{args.index}/settings",
                         json.dumps(SETTINGS).encode())
    docs_task = call(args.url, args.key, "POST", f"/indexes/{args.index}/documents?primaryKey=id",
                     Path(args.file).read_bytes(), "application/x-ndjson")
    for task in (settings_task, docs_task):
        done = wait(args.url, args.key, task["taskUid"])
        if done["status"] != "succeeded":
            print(json.dumps(done, indent=2), file=sys.stderr)
            return 1
    stats = call(args.url, args.key, "GET", f"/indexes/{args.index}/stats")
    print(f"index `{args.index}`: {stats['numberOfDocuments']} documents")
    print(f"search it in a browser: {args.url}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
