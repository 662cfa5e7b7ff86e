"""Tokenization and indexing speed per language family (issue 16), and CJK search latency.

    python bench/languages.py                       # Debian + a generated 10 MB Chinese corpus
    python bench/languages.py --skip-http           # tokenizer throughput only
    python bench/languages.py --cjk-mb 2            # a smaller CJK corpus for a quick run

Prints, for (a) the Debian packages (name, summary, description) and (b) the CJK corpus:
MB of text, `index_field` and `tokenize` throughput in MB/s of CPU time (one process, in
memory), indexing time (wall and server CPU) over HTTP (POST ndjson -> task succeeded, searchableAttributes title/description), and for
the CJK corpus p50/p99 of 300 searches over HTTP (one to three dictionary words, the last one
sometimes cut to a prefix).

The CJK corpus is generated, deterministically (seed 16): titles and descriptions of words drawn
by frequency from jieba's dictionary (`pip install jieba`: its dict.txt, 349,046 words with
counts), joined without spaces, sentences ending in `。` with `，` between clauses — text jieba
must segment, with the word statistics of real Chinese.  It is written to a temporary file and
never kept in the repository.  Needs the `cjk` extra.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import time
import urllib.parse
from pathlib import Path

import orjson

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from common import DATASETS, Server, percentiles  # noqa: E402
from engine.tokenizer import Tokenizer  # noqa: E402

DEBIAN = DATASETS / "debian-packages" / "packages.ndjson"
DEBIAN_FIELDS = ("name", "summary", "description")
CJK_FIELDS = ("title", "description")


def jieba_words() -> tuple[list[str], list[int]]:
    import jieba
    words, counts = [], []
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                words.append(parts[0])
                counts.append(int(parts[1]))
    return words, counts


def generate_cjk(target_mb: float, seed: int = 16) -> list[dict]:
    """Chinese documents of about ``target_mb`` MB of text (see the module docstring)."""
    words, counts = jieba_words()
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate(counts))
    draw = lambda k: rng.choices(words, cum_weights=cumulative, k=k)  # noqa: E731
    docs: list[dict] = []
    size = 0
    while size < target_mb * 1e6:
        title = "".join(draw(rng.randint(2, 6)))
        sentences = []
        for _ in range(rng.randint(2, 6)):
            clauses = ["".join(draw(rng.randint(3, 9))) for _ in range(rng.randint(1, 3))]
            sentences.append("，".join(clauses) + "。")
        doc = {"id": len(docs), "title": title, "description": "".join(sentences)}
        size += len(title.encode()) + len(doc["description"].encode())
        docs.append(doc)
    return docs


def field_values(docs: list[dict], fields: tuple[str, ...]) -> list[str]:
    return [d[k] for d in docs for k in fields if isinstance(d.get(k), str)]


def throughput(values: list[str]) -> tuple[float, float, float, float]:
    """MB of text, then MB/s of `index_field` on a first pass (the language libraries load on
    their first text) and on a second one (a fresh tokenizer: cold word cache, libraries
    loaded), then of `tokenize` — per second of this process's CPU time (the machine is
    shared: wall time would measure the neighbours too)."""
    mb = sum(len(v.encode()) for v in values) / 1e6
    rates = []
    for run in ("index_field", "index_field", "tokenize"):
        tokenizer = Tokenizer()
        cut = tokenizer.index_field if run == "index_field" else tokenizer.tokenize
        start = time.process_time()
        for value in values:
            cut((value,) if run == "index_field" else value)
        rates.append(mb / (time.process_time() - start))
    return mb, rates[0], rates[1], rates[2]


def server_cpu(server: Server) -> float:
    """CPU seconds (user + system) used so far by the server and every process below it (the
    supervised task worker sits under a supervisor, not under the server itself), with the
    forked indexing helpers they reaped."""
    stats: dict[int, tuple[int, int]] = {}  # pid -> (parent pid, clock ticks)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), sum(map(int, fields[11:15])))  # utime, stime, children's
    below, todo = [], [server.proc.pid]
    while todo:
        pid = todo.pop()
        below.append(pid)
        todo += [child for child, (parent, _) in stats.items() if parent == pid]
    return sum(stats[pid][1] for pid in below if pid in stats) / os.sysconf("SC_CLK_TCK")


def index_over_http(server: Server, uid: str, ndjson: bytes, fields: tuple[str, ...]) -> tuple[float, float]:
    """Wall seconds and server CPU seconds to index ``ndjson``."""
    settings = json.dumps({"searchableAttributes": list(fields)}).encode()
    server.wait(server.call("PATCH", f"/indexes/{uid}/settings", settings)["taskUid"])
    start, cpu = time.perf_counter(), server_cpu(server)
    task = server.call("POST", f"/indexes/{uid}/documents?primaryKey=id", ndjson, "application/x-ndjson")
    done = server.wait(task["taskUid"])
    assert done["status"] == "succeeded", done
    return time.perf_counter() - start, server_cpu(server) - cpu


def cjk_queries(docs: list[dict], n: int, seed: int = 17) -> list[str]:
    rng = random.Random(seed)
    tokenizer = Tokenizer()
    queries = []
    while len(queries) < n:
        words = tokenizer.words(rng.choice(docs)["description"])
        k = rng.randint(1, 3)
        start = rng.randrange(max(1, len(words) - k))
        text = "".join(words[start:start + k])
        if rng.random() < 0.3 and len(text) > 1:
            text = text[:-1]  # a prefix of the last word
        if text:
            queries.append(text)
    return queries


def search_latency(server: Server, uid: str, queries: list[str]) -> tuple[dict[int, float], float]:
    samples, hits = [], 0
    for q in queries:
        body = json.dumps({"q": q, "attributesToHighlight": ["title"]}).encode()
        start = time.perf_counter()
        result = server.call("POST", f"/indexes/{urllib.parse.quote(uid)}/search", body)
        samples.append((time.perf_counter() - start) * 1000)
        hits += bool(result["hits"])
    return percentiles(samples), hits / len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cjk-mb", type=float, default=10.5)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-debian", action="store_true")
    parser.add_argument("--skip-cjk", action="store_true", help="Debian only (runs on a tree without the extras)")
    args = parser.parse_args()

    debian = [] if args.skip_debian else [orjson.loads(line) for line in DEBIAN.read_bytes().splitlines() if line.strip()]
    cjk = [] if args.skip_cjk else generate_cjk(args.cjk_mb)
    corpora = [("debian", debian, DEBIAN_FIELDS), ("cjk (generated, jieba dictionary)", cjk, CJK_FIELDS)]
    for name, docs, fields in corpora:
        if not docs:
            continue
        mb, first, index_rate, tokenize_rate = throughput(field_values(docs, fields))
        print(f"{name}: {len(docs)} documents, {mb:.1f} MB of text; index_field {first:.2f} MB/s "
              f"(first pass), {index_rate:.2f} MB/s (second), tokenize {tokenize_rate:.2f} MB/s")
    if args.skip_http:
        return
    server = Server()
    try:
        for uid, (name, docs, fields) in zip(("debian", "cjk"), corpora):
            if not docs:
                continue
            ndjson = b"\n".join(orjson.dumps(d) for d in docs) + b"\n"
            seconds, cpu = index_over_http(server, uid, ndjson, fields)
            print(f"{name}: indexed {len(docs)} documents in {seconds:.1f} s over HTTP ({cpu:.1f} s of server CPU)")
        if not cjk:
            return
        queries = cjk_queries(cjk, 300)
        for q in queries[:5]:  # warm-up
            server.call("POST", "/indexes/cjk/search", json.dumps({"q": q}).encode())
        points, found = search_latency(server, "cjk", queries)
        print(f"cjk search over HTTP ({len(queries)} queries, {found:.0%} with hits): "
              f"p50 {points[50]:.1f} ms, p99 {points[99]:.1f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
