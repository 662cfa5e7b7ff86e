"""Tokenizer throughput on real data: the Debian packages (name + summary + description).

    python bench/tokenizer_speed.py [path/to/packages.ndjson]

Prints documents, tokens, MB of text, total seconds and tokens/s for two workloads: `index_field`
(the indexing path, no Token objects) and `tokenize` (full Token lists, as search/highlight use).
Reads ../shared/datasets by default; the data is never copied into the repository.
"""
from __future__ import annotations

import os
import sys
import time

import orjson

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from engine.tokenizer import Tokenizer  # noqa: E402

DEFAULT = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "datasets", "debian-packages", "packages.ndjson"
)
FIELDS = ("name", "summary", "description")


def load(path: str) -> list[list[str]]:
    docs = []
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                doc = orjson.loads(line)
                docs.append([doc[k] for k in FIELDS if isinstance(doc.get(k), str)])
    return docs


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT
    docs = load(path)
    mb = sum(len(v.encode()) for d in docs for v in d) / 1e6
    tokenizer = Tokenizer()

    start = time.perf_counter()
    words = 0
    for fields in docs:
        for value in fields:
            words += tokenizer.index_field((value,)).word_count
    index_s = time.perf_counter() - start

    start = time.perf_counter()
    tokens = 0
    for fields in docs:
        for value in fields:
            tokens += len(tokenizer.tokenize(value))
    tokenize_s = time.perf_counter() - start

    print(f"documents: {len(docs)}  text: {mb:.1f} MB ({', '.join(FIELDS)})")
    print(f"index_field: {words} words in {index_s:.2f} s  ({words / index_s:,.0f} words/s)")
    print(f"tokenize:    {tokens} tokens in {tokenize_s:.2f} s  ({tokens / tokenize_s:,.0f} tokens/s)")


if __name__ == "__main__":
    main()
