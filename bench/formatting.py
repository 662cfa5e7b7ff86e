"""Cost of formatting hits (issue 13): the search-as-you-type workload with and without the
request an InstantSearch frontend sends, in the same run, over HTTP.

    python bench/formatting.py [--corpus full|10k] [--repeat 3] [--in-process]

A fresh `loupe` server indexes the corpus as `search.py` does; then every query of typing.jsonl is
sent twice in a row on one keep-alive connection — plain (`limit: 20`) and formatted
(`attributesToHighlight: ["*"]`, the `__ais-highlight__` tags, `attributesToCrop:
["description:30"]`) — alternating which goes first, `--repeat` times over the workload.  Each
figure is the time from sending the request to the decoded answer.  Prints p50 and p99 of both,
what formatting adds to each percentile, and p50/p99 of the added time per query.

`--in-process` runs the same requests through the Meilisearch dialect in this process instead
(`run_search`, then `orjson.dumps` as the route does): the formatter's own cost, for profiling.
"""
from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
sys.path.append(str(HERE))

import orjson  # noqa: E402

import answers  # noqa: E402
import search  # noqa: E402

INSTANTSEARCH = {"attributesToHighlight": ["*"], "highlightPreTag": "__ais-highlight__",
                 "highlightPostTag": "__/ais-highlight__", "attributesToCrop": ["description:30"]}


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def http_runner(corpus: Path, tmp: Path):
    """A server with the corpus indexed, and a function timing one search body over HTTP."""
    server, figures = search.start_loupe(corpus, tmp / "server.log")
    if server is None or "error" in figures:
        raise SystemExit(f"indexing failed: {figures}")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    path = f"/indexes/{search.INDEX_UID}/search"

    def run(body: bytes) -> float:
        start = time.perf_counter()
        conn.request("POST", path, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {data[:200]!r}")
        orjson.loads(data)
        return time.perf_counter() - start

    return server, run


def in_process_runner(corpus: Path, tmp: Path):
    """The same, through `run_search` in this process (no HTTP)."""
    from engine.meilisearch.search import run_search
    from engine.meilisearch.search_params import parse_search_body
    answers.CORPUS = corpus
    engine = answers.build_index(tmp / "db")
    index = engine.index(answers.INDEX_UID)

    def run(body: bytes) -> float:
        start = time.perf_counter()
        orjson.dumps(run_search(index, parse_search_body(orjson.loads(body)), as_fragments=True))
        return time.perf_counter() - start

    return engine, run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", choices=["full", "10k"], default="full")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--in-process", action="store_true")
    args = ap.parse_args()
    name = "packages.ndjson" if args.corpus == "full" else "packages-10k.ndjson"
    corpus = answers.DATASETS / "debian-packages" / name
    queries = [q["q"] for q in answers.read_jsonl("typing.jsonl")]
    plain_bodies = [orjson.dumps({"q": q, "limit": 20}) for q in queries]
    formatted_bodies = [orjson.dumps({"q": q, "limit": 20, **INSTANTSEARCH}) for q in queries]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        owner, run = (in_process_runner if args.in_process else http_runner)(corpus, Path(tmp))
        where = "in process" if args.in_process else "over HTTP"
        print(f"indexed {args.corpus} in {time.perf_counter() - started:.0f} s; {len(queries)} queries {where}, "
              f"{args.repeat} rounds")
        try:
            for body in plain_bodies[:20] + formatted_bodies[:20]:  # warm up
                run(body)
            plain, formatted, added = [], [], []
            for round_ in range(args.repeat):
                for i, (a, b) in enumerate(zip(plain_bodies, formatted_bodies)):
                    if (i + round_) % 2:
                        t_plain, t_formatted = run(a), run(b)
                    else:
                        t_formatted, t_plain = run(b), run(a)
                    plain.append(t_plain * 1000)
                    formatted.append(t_formatted * 1000)
                    added.append((t_formatted - t_plain) * 1000)
        finally:
            (owner.stop if hasattr(owner, "stop") else owner.close)()
    for label, samples in (("plain", plain), ("formatted", formatted)):
        print(f"{label:>10}: p50 {pct(samples, 50):7.3f} ms   p99 {pct(samples, 99):7.3f} ms")
    print(f"{'added':>10}: p50 {pct(formatted, 50) - pct(plain, 50):7.3f} ms   "
          f"p99 {pct(formatted, 99) - pct(plain, 99):7.3f} ms   (difference of the percentiles)")
    print(f"{'per query':>10}: p50 {pct(added, 50):7.3f} ms   p99 {pct(added, 99):7.3f} ms   "
          f"(percentiles of formatted - plain, query by query)")


if __name__ == "__main__":
    main()
