"""Cost of formatting hits (issue 13): the search-as-you-type workload with and without the
request an InstantSearch frontend sends, in the same run.

    python bench/formatting.py [--corpus full|10k] [--repeat 3]

Every query of typing.jsonl runs in process through the Meilisearch dialect (`run_search`, then
`orjson.dumps` of the answer, as the HTTP route serialises it) twice, alternating: plain
(`limit: 20`) and formatted (`attributesToHighlight: ["*"]`, the `__ais-highlight__` tags,
`attributesToCrop: ["description:30"]`).  Prints p50 and p99 of both and of the difference per
query.  HTTP adds the same transport cost to both, so the difference is the formatter's.
"""
from __future__ import annotations

import argparse
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
from engine.meilisearch.search import run_search  # noqa: E402
from engine.meilisearch.search_params import parse_search_body  # noqa: E402

INSTANTSEARCH = {"attributesToHighlight": ["*"], "highlightPreTag": "__ais-highlight__",
                 "highlightPostTag": "__/ais-highlight__", "attributesToCrop": ["description:30"]}


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", choices=["full", "10k"], default="full")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.corpus == "10k":
        answers.CORPUS = answers.DATASETS / "debian-packages" / "packages-10k.ndjson"
    queries = [q["q"] for q in answers.read_jsonl("typing.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        engine = answers.build_index(Path(tmp) / "db")
        print(f"indexed {args.corpus} in {time.perf_counter() - started:.0f} s; {len(queries)} queries")
        index = engine.index(answers.INDEX_UID)
        plain_params = [parse_search_body({"q": q, "limit": 20}) for q in queries]
        fmt_params = [parse_search_body({"q": q, "limit": 20, **INSTANTSEARCH}) for q in queries]
        for p in plain_params + fmt_params:  # warm caches
            run_search(index, p, as_fragments=True)
        plain, formatted, diff = [], [], []
        for _ in range(args.repeat):
            for a, b in zip(plain_params, fmt_params):
                t0 = time.perf_counter()
                orjson.dumps(run_search(index, a, as_fragments=True))
                t1 = time.perf_counter()
                orjson.dumps(run_search(index, b, as_fragments=True))
                t2 = time.perf_counter()
                plain.append((t1 - t0) * 1000)
                formatted.append((t2 - t1) * 1000)
                diff.append((t2 - t1 - (t1 - t0)) * 1000)
        for name, samples in (("plain", plain), ("formatted", formatted), ("difference", diff)):
            print(f"{name:>10}: p50 {pct(samples, 50):7.3f} ms   p99 {pct(samples, 99):7.3f} ms")
        print(f"  p50 added: {pct(formatted, 50) - pct(plain, 50):.3f} ms, p99 added: "
              f"{pct(formatted, 99) - pct(plain, 99):.3f} ms")
        engine.close()


if __name__ == "__main__":
    main()
