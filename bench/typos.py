"""Typo-derivation latency per query word on the Debian corpus vocabulary.

Builds a `Lexicon` from the words of packages.ndjson (name, summary, description; lowercased,
split on non-alphanumerics), then derives every word of the typo and typing query workloads with
its default typo budget (the last word is a prefix term unless the query ends with a space) and
prints build time, vocabulary size, memory and latency percentiles:

    /work/venv/bin/python bench/typos.py
    /work/venv/bin/python bench/typos.py --vocab-size 300000   # pad with mutated words

Each workload runs twice on one lexicon: "cold" (the per-bucket candidate arrays are cut on
first use, as right after a reader rebuilt its lexicon) and "warm" (per word, the median of 3
runs).
"""
from __future__ import annotations

import argparse
import gc
import random
import re
import sys
import time
import tracemalloc
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.search.lexicon import Lexicon  # noqa: E402
from engine.search.typos import typo_budget, typo_derivations  # noqa: E402

DATASETS = Path("/work/shared/datasets")
CORPUS = DATASETS / "debian-packages" / "packages.ndjson"
WORKLOADS = [DATASETS / "queries" / "typo.jsonl", DATASETS / "queries" / "typing.jsonl"]
PREFIX_LIMIT = 1000  # ranking.md §3.3: prefix derivations outside the prefix cache
_SPLIT = re.compile(r"[\W_]+")


def corpus_words(path: Path) -> list[str]:
    words: set[str] = set()
    with path.open("rb") as f:
        for line in f:
            doc = orjson.loads(line)
            for key in ("name", "summary", "description"):
                value = doc.get(key)
                if isinstance(value, str):
                    words.update(_SPLIT.split(value.lower()))
    words.discard("")
    return sorted(words)


def pad_vocabulary(words: list[str], size: int, seed: int = 7) -> list[str]:
    """Grow the vocabulary to `size` with 1-3 random edits of real words (a denser lexicon than
    the real one: more near neighbours, so slower typo search)."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    out = set(words)
    while len(out) < size:
        w = list(rng.choice(words))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(w) + 1)
            op = rng.random()
            if op < 0.4 or not w:
                w.insert(at, rng.choice(alphabet))
            elif at < len(w) and op < 0.8:
                w[at] = rng.choice(alphabet)
            elif at < len(w):
                del w[at]
        if w:
            out.add("".join(w))
    return sorted(out)


def query_words(paths: list[Path]) -> list[tuple[str, bool]]:
    """(word, is_prefix) for every word of every query; ranking.md §2.2's last-word rule."""
    out: list[tuple[str, bool]] = []
    for path in paths:
        for line in path.open("rb"):
            q = orjson.loads(line)["q"]
            words = q.split()
            for i, word in enumerate(words):
                out.append((word, i == len(words) - 1 and not q.endswith(" ")))
    return out


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def run(lexicon: Lexicon, words: list[tuple[str, bool]], reps: int = 1) -> dict[str, list[float]]:
    """Seconds per word: typo derivations alone, and typo + prefix listing for prefix terms;
    with `reps` > 1 the median of that many runs (damps noise from other processes)."""
    if reps > 1:
        runs = [run(lexicon, words) for _ in range(reps)]
        return {label: [sorted(r[label][i] for r in runs)[reps // 2] for i in range(len(values))]
                for label, values in runs[0].items()}
    typo_times: list[float] = []
    typo_budgeted: list[float] = []
    total_times: list[float] = []
    clock = time.perf_counter
    for word, is_prefix in words:
        t0 = clock()
        budget = typo_budget(word)
        typo_derivations(lexicon, word, budget, is_prefix)
        t1 = clock()
        if is_prefix:
            lexicon.with_prefix(word, PREFIX_LIMIT)
        t2 = clock()
        typo_times.append(t1 - t0)
        total_times.append(t2 - t0)
        if budget:
            typo_budgeted.append(t1 - t0)
    return {"typo, all words": typo_times, "typo, words with budget>0": typo_budgeted,
            "typo + prefix listing": total_times}


def report(name: str, series: dict[str, list[float]]) -> None:
    for label, values in series.items():
        v = sorted(values)
        print(f"  {name:5} {label:27} n={len(v):5}  p50={percentile(v, 50) * 1e3:6.3f} ms  "
              f"p90={percentile(v, 90) * 1e3:6.3f} ms  p99={percentile(v, 99) * 1e3:6.3f} ms  "
              f"max={v[-1] * 1e3:6.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab-size", type=int, default=0, help="pad the vocabulary to this size")
    args = parser.parse_args()

    t = time.perf_counter()
    words = corpus_words(CORPUS)
    if args.vocab_size > len(words):
        words = pad_vocabulary(words, args.vocab_size)
    print(f"vocabulary: {len(words)} words ({time.perf_counter() - t:.1f} s to read)")

    gc.collect()
    t = time.perf_counter()
    lexicon = Lexicon(words)
    build = time.perf_counter() - t
    del lexicon
    gc.collect()
    tracemalloc.start()
    lexicon = Lexicon(words)
    built_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"build: {build * 1e3:.0f} ms, memory {built_bytes / 2**20:.1f} MiB "
          "(beyond the word strings themselves)")

    for path in WORKLOADS:
        qwords = query_words([path])
        print(f"{path.name}: {len(qwords)} words, "
              f"{sum(1 for w, _ in qwords if typo_budget(w))} with a typo budget, "
              f"{sum(1 for _, p in qwords if p)} prefix terms")
        report("cold", run(lexicon, qwords))
        report("warm", run(lexicon, qwords, reps=3))

    tracemalloc.start()
    fresh = Lexicon(words)
    run(fresh, query_words(WORKLOADS))
    print(f"memory after both workloads (lexicon + candidate cache): "
          f"{tracemalloc.get_traced_memory()[0] / 2**20:.1f} MiB")
    tracemalloc.stop()


if __name__ == "__main__":
    main()
