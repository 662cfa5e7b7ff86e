"""Search latency and quality of Loupe next to tantivy and SQLite FTS5, side by side in one run.

One run indexes the Debian corpus into a fresh Loupe server (over HTTP) and into the two in-process
peers of `bench/peers.py`, replays the query workloads of /work/shared/datasets/queries on all three,
and prints one table: latency percentiles, throughput, recall and correctness checks per engine and
workload, with Loupe's latency as a multiple of each peer's. See bench/README.md for every figure.

    python bench/search.py                                # full corpus, every query (a few minutes)
    python bench/search.py --corpus 10k --limit 50        # quick: 10k documents, 50 queries/workload
    python bench/search.py --json out.json                # also save the figures

Loupe is asked over one keep-alive HTTP connection, one request at a time, and its latency is the
client's wall time (send, wait, read, decode JSON); the peers' latency is the in-process call,
documents included. An HTTP error from Loupe is counted and shown as "n/a (HTTP <status>)", so the
harness runs before Loupe's search route exists.
"""
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on sys.path, where bench/tokenize.py shadows the standard
# library's tokenize (imported by dataclasses via inspect). Search bench/ last instead.
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p and str(Path(p).resolve()) != _BENCH] + [_BENCH]

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Callable, Iterable  # noqa: E402

import orjson  # noqa: E402

from common import DATASETS, Server, percentiles  # noqa: E402
from peers import PEERS, Answer, Request, build_peer, parse_sort, read_corpus  # noqa: E402

CORPORA = {"full": DATASETS / "debian-packages" / "packages.ndjson",
           "10k": DATASETS / "debian-packages" / "packages-10k.ndjson"}
QUERIES = DATASETS / "queries"
INDEX_UID = "packages"
SETTINGS = {"searchableAttributes": ["name", "summary", "description"],
            "filterableAttributes": ["section", "priority", "tags", "architecture", "installed_size"],
            "sortableAttributes": ["installed_size", "name"]}
HITS = 20
"""Hits per request: Meilisearch's default `limit`, asked of every engine."""
MAX_TOTAL_HITS = 1000
"""Meilisearch's default pagination.maxTotalHits: `totalHits` is capped there (ranking.md §6.4)."""
MAX_VALUES_PER_FACET = 100
"""Meilisearch's default faceting.maxValuesPerFacet: Loupe returns at most this many per facet."""
HEALTH_SAMPLES = 300
"""GET /health requests for Loupe's HTTP floor."""
HTTP_TIMEOUT_S = 120
ENGINES = ("loupe", "tantivy", "fts5")


# ---------------------------------------------------------------- workloads

@dataclass
class Item:
    """One query of a workload: the dataset entry, the peers' request and Loupe's JSON body."""

    entry: dict
    request: Request
    body: dict


def read_jsonl(name: str, limit: int | None) -> list[dict]:
    lines = (QUERIES / name).read_text().splitlines()
    return [json.loads(line) for line in lines[:limit] if line.strip()]


def text_item(entry: dict, q: str, one_typo_from: int = 5) -> Item:
    return Item(entry, Request(q=q, limit=HITS, one_typo_from=one_typo_from), {"q": q, "limit": HITS})


def filter_item(entry: dict) -> Item:
    """Filter + facets in finite pagination, so Loupe answers `totalHits` (exact up to maxTotalHits)."""
    request = Request(q=entry["q"], clauses=entry["filter_clauses"], facets=entry["facets"], limit=HITS)
    body = {"q": entry["q"], "filter": entry["filter"], "facets": entry["facets"], "page": 1, "hitsPerPage": HITS}
    return Item(entry, request, body)


def sort_item(entry: dict) -> Item:
    request = Request(q=entry["q"], clauses=entry.get("filter_clauses", []), sort=entry["sort"], limit=HITS)
    body = {"q": entry["q"], "sort": entry["sort"], "limit": HITS}
    if entry.get("filter"):
        body["filter"] = entry["filter"]
    return Item(entry, request, body)


def load_workloads(limit: int | None) -> dict[str, list[Item]]:
    """Workload name -> items, each file cut to its first `limit` lines (typing keeps step order)."""
    typo = read_jsonl("typo.jsonl", limit)
    return {
        "typing": [text_item(e, e["q"]) for e in read_jsonl("typing.jsonl", limit)],
        "typo": [text_item(e, e["q"]) for e in typo],
        "typo-clean": [text_item(e, e["q_clean"]) for e in typo],
        "filter": [filter_item(e) for e in read_jsonl("filter.jsonl", limit)],
        "sort": [sort_item(e) for e in read_jsonl("sort.jsonl", limit)],
        "typo-4": [text_item(e, e["q"], one_typo_from=4) for e in typo],  # last: it changes settings
    }


# ---------------------------------------------------------------- engines

SETTLE_SECONDS = 5  # after a settings change, the server's cache warmer rebuilds the index's read caches
DEFAULT_TYPO_SETTINGS = {"typoTolerance": {"minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}}}
WORKLOAD_SETTINGS = {
    # the known-item typo queries again, with one typo allowed from 4 characters (Meilisearch's
    # `typoTolerance.minWordSizeForTypos.oneTypo: 4`; tantivy gets the same budget)
    "typo-4": {"typoTolerance": {"minWordSizeForTypos": {"oneTypo": 4, "twoTypos": 9}}},
}


class HttpError(Exception):
    """A non-2xx answer or a broken connection; `status` is shown in the table."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


class LoupeClient:
    """One persistent keep-alive HTTP/1.1 connection to a Loupe server."""

    name = "loupe"

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_S)

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        """Send one request and decode the answer; reconnects after a broken connection."""
        payload = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        try:
            self.conn.request(method, path, payload, headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT_S)
            raise HttpError(f"connection: {type(error).__name__}") from error
        if not 200 <= response.status < 300:
            raise HttpError(str(response.status))
        return orjson.loads(data) if data else {}

    def configure(self, settings: dict) -> None:
        """Apply index settings (query-time ones: no re-indexing) and wait for the task."""
        if settings == getattr(self, "_settings", DEFAULT_TYPO_SETTINGS):
            return
        task = self.call("PATCH", f"/indexes/{INDEX_UID}/settings", settings)
        while self.call("GET", f"/tasks/{task['taskUid']}")["status"] in ("enqueued", "processing"):
            time.sleep(0.02)
        self._settings = settings
        time.sleep(SETTLE_SECONDS)

    def search(self, body: dict) -> Answer:
        data = self.call("POST", f"/indexes/{INDEX_UID}/search", body)
        hits = data.get("hits", [])
        total = data.get("totalHits", data.get("estimatedTotalHits"))
        return Answer([str(h.get("id")) for h in hits], total, data.get("facetDistribution"), hits)

    def health_floor(self, samples: int = HEALTH_SAMPLES) -> dict[str, float] | str:
        """p50/p99 of GET /health on this connection: the HTTP cost under every Loupe figure."""
        latencies = []
        try:
            for _ in range(samples):
                start = time.perf_counter()
                self.call("GET", "/health")
                latencies.append(time.perf_counter() - start)
        except HttpError as error:
            return f"n/a (HTTP {error.status})"
        points = percentiles(latencies, (50, 99))
        return {"p50_ms": points[50] * 1000, "p99_ms": points[99] * 1000}


@dataclass
class Outcome:
    """One timed query: wall seconds and the answer, or the error status."""

    seconds: float
    answer: Answer | None = None
    error: str | None = None


def replay(search: Callable[[Item], Answer], items: list[Item], warmup: int) -> list[Outcome]:
    """Run every item once, sequentially and timed, after `warmup` untimed runs of the first ones."""
    for item in items[:warmup]:
        try:
            search(item)
        except HttpError:
            break
    outcomes = []
    for item in items:
        start = time.perf_counter()
        try:
            answer = search(item)
            outcomes.append(Outcome(time.perf_counter() - start, answer))
        except HttpError as error:
            outcomes.append(Outcome(time.perf_counter() - start, error=error.status))
    return outcomes


# ---------------------------------------------------------------- checks

def passes(doc: dict, clauses: list[dict]) -> bool:
    """Whether a document passes ANDed structured filter clauses (tags `=` means contains)."""
    for clause in clauses:
        value = doc.get(clause["field"])
        values = value if isinstance(value, list) else [value]
        if clause["op"] == "=":
            ok = clause["value"] in values
        elif clause["op"] == "in":
            ok = any(v in clause["values"] for v in values)
        else:
            ok = value is not None and all(
                test(value, clause[key]) for key, test in (
                    ("gte", lambda a, b: a >= b), ("gt", lambda a, b: a > b),
                    ("lte", lambda a, b: a <= b), ("lt", lambda a, b: a < b)) if key in clause)
        if not ok:
            return False
    return True


def filter_violations(items: list[Item], outcomes: list[Outcome], docs: dict[str, dict]) -> list[str]:
    """qids of the queries with a hit that fails the filter (or is not a corpus document)."""
    return [item.entry["qid"] for item, outcome in zip(items, outcomes)
            if outcome.answer and any(i not in docs or not passes(docs[i], item.request.clauses)
                                      for i in outcome.answer.ids)]


def facets_match(got: dict | None, expected: dict, engine: str) -> bool:
    """Exact counts; Loupe may return only the first maxValuesPerFacet values of each facet."""
    if got is None or set(got) != set(expected):
        return False
    for name, counts in expected.items():
        returned = got[name]
        if engine == "loupe":
            if len(returned) != min(len(counts), MAX_VALUES_PER_FACET):
                return False
            if any(counts.get(value) != n for value, n in returned.items()):
                return False
        elif returned != counts:
            return False
    return True


def sort_values(ids: Iterable[str], docs: dict[str, dict], name: str) -> list:
    return [docs[i].get(name) if i in docs else None for i in ids]


def is_sorted(values: list, descending: bool) -> bool:
    if any(v is None for v in values):
        return False
    pairs = zip(values, values[1:])
    return all(a >= b for a, b in pairs) if descending else all(a <= b for a, b in pairs)


def loupe_buckets(details: list[dict]) -> list[str]:
    """Per hit, the ranking-rule details before the sort rule: hits sharing them form one bucket."""
    keys = []
    for detail in details:
        before = []
        for rule, value in detail.items():
            if ":" in rule:
                break
            before.append((rule, value))
        keys.append(json.dumps(before, sort_keys=True))
    return keys


def sorted_in_buckets(values: list, buckets: list[str], descending: bool) -> bool:
    """Sorted within each run of hits that earlier ranking rules could not tell apart."""
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or buckets[end] != buckets[start]:
            if not is_sorted(values[start:end], descending):
                return False
            start = end
    return True


# ---------------------------------------------------------------- figures per workload

def latency_figures(outcomes: list[Outcome]) -> dict:
    """n, errors, p50/p99 (ms) and sequential throughput (queries/s) of the successful queries."""
    ok = [o.seconds for o in outcomes if o.error is None]
    errors = [o.error for o in outcomes if o.error is not None]
    figures: dict = {"n": len(outcomes), "errors": len(errors)}
    if errors:
        figures["error_status"] = max(set(errors), key=errors.count)
    if ok:
        points = percentiles(ok, (50, 99))
        figures.update(p50_ms=points[50] * 1000, p99_ms=points[99] * 1000, qps=len(ok) / sum(ok))
    return figures


def typing_quality(items: list[Item], outcomes: list[Outcome], docs: dict) -> dict:
    """`name` sequences: source in the top 10 on the final keystroke, and how much had to be typed."""
    sequences: dict[int, list[tuple[Item, Outcome]]] = {}
    for item, outcome in zip(items, outcomes):
        if item.entry["source_kind"] == "name" and item.entry["source"] in docs:
            sequences.setdefault(item.entry["seq"], []).append((item, outcome))
    found_final = judged = 0
    typed = []
    for steps in sequences.values():
        last_item, last_outcome = steps[-1]
        if not last_item.entry["final"] or last_outcome.answer is None:
            continue
        judged += 1
        source = last_item.entry["source"]
        found_final += source in last_outcome.answer.ids[:10]
        for item, outcome in steps:
            if outcome.answer and source in outcome.answer.ids[:10]:
                typed.append(len(item.entry["q"]) / len(item.entry["q_full"]))
                break
    return {"name_final_top10": found_final, "name_sequences": judged,
            "typed_to_find": sum(typed) / len(typed) if typed else None}


def recall_quality(items: list[Item], outcomes: list[Outcome]) -> dict:
    answered = [(i, o) for i, o in zip(items, outcomes) if o.answer is not None]
    if not answered:
        return {}
    at1 = sum(o.answer.ids[:1] == [i.entry["target"]] for i, o in answered)
    at10 = sum(i.entry["target"] in o.answer.ids[:10] for i, o in answered)
    return {"recall_at_1": at1 / len(answered), "recall_at_10": at10 / len(answered)}


def filter_checks(items: list[Item], outcomes: list[Outcome], docs: dict, corpus: str, engine: str) -> dict:
    """Placeholder entries: totals and facet counts against the brute-force `expected`.

    Counts go to the table; the qids of the failing queries (`mismatches`) go to the JSON file.
    """
    bad: dict[str, list[str]] = {"total": [], "facets": []}
    placeholders = 0
    for item, outcome in zip(items, outcomes):
        expected = (item.entry.get("expected") or {}).get(corpus)
        if not expected or outcome.answer is None:
            continue
        placeholders += 1
        want = expected["nbHits"]
        if engine == "loupe":
            want = min(want, MAX_TOTAL_HITS)
        if outcome.answer.total != want:
            bad["total"].append(item.entry["qid"])
        if not facets_match(outcome.answer.facets, expected["facetDistribution"], engine):
            bad["facets"].append(item.entry["qid"])
    bad["filter"] = filter_violations(items, outcomes, docs)
    return {"placeholders": placeholders, "total_mismatch": len(bad["total"]),
            "facet_mismatch": len(bad["facets"]), "filter_violations": len(bad["filter"]), "mismatches": bad}


def sort_checks(items: list[Item], outcomes: list[Outcome], docs: dict, corpus: str, engine: str,
                buckets: dict[int, list[str]]) -> dict:
    """Top-10 values of placeholder entries, sort order of every answer, filter of every hit.

    Loupe ranks `sort` after the word rules, so its answers to queries with words are judged inside
    their ranking buckets; when Loupe gave no ranking details for one, it counts as unchecked.
    """
    bad: dict[str, list[str]] = {"top10": [], "unsorted": [], "unchecked": []}
    placeholders = 0
    for index, (item, outcome) in enumerate(zip(items, outcomes)):
        if outcome.answer is None:
            continue
        qid = item.entry["qid"]
        name, descending = parse_sort(item.request.sort)
        values = sort_values(outcome.answer.ids, docs, name)
        expected = (item.entry.get("expected") or {}).get(corpus)
        if expected:
            placeholders += 1
            if values[:10] != expected[f"top10_{name}"]:
                bad["top10"].append(qid)
        if engine != "loupe" or not item.request.q:
            ok = is_sorted(values, descending)
        elif index in buckets and len(buckets[index]) == len(values):
            ok = sorted_in_buckets(values, buckets[index], descending)
        else:
            bad["unchecked"].append(qid)
            continue
        if not ok:
            bad["unsorted"].append(qid)
    bad["filter"] = filter_violations(items, outcomes, docs)
    return {"placeholders": placeholders, "top10_mismatch": len(bad["top10"]), "unsorted": len(bad["unsorted"]),
            "unchecked": len(bad["unchecked"]), "filter_violations": len(bad["filter"]), "mismatches": bad}


def loupe_sort_buckets(client: LoupeClient, items: list[Item]) -> dict[int, list[str]]:
    """Untimed: for sort queries with words, Loupe's ranking buckets (sort ranks after attributeRank)."""
    buckets = {}
    for index, item in enumerate(items):
        if not item.body["q"]:
            continue
        try:
            data = client.call("POST", f"/indexes/{INDEX_UID}/search", {**item.body, "showRankingScoreDetails": True})
        except HttpError:
            return buckets
        details = [h.get("_rankingScoreDetails") for h in data.get("hits", [])]
        if all(isinstance(d, dict) for d in details):
            buckets[index] = loupe_buckets(details)
    return buckets


def quality(workload: str, items: list[Item], outcomes: list[Outcome], docs: dict, corpus: str,
            engine: str, buckets: dict[int, list[str]]) -> dict:
    if workload == "typing":
        return typing_quality(items, outcomes, docs)
    if workload.startswith("typo"):
        return recall_quality(items, outcomes)
    if workload == "filter":
        return filter_checks(items, outcomes, docs, corpus, engine)
    return sort_checks(items, outcomes, docs, corpus, engine, buckets)


# ---------------------------------------------------------------- indexing

def index_loupe(server: Server, payload: bytes) -> dict:
    """Settings task, then the documents task; wall time from the first request to the last task's end."""
    start = time.perf_counter()
    settings = server.wait(server.call("PATCH", f"/indexes/{INDEX_UID}/settings",
                                       json.dumps(SETTINGS).encode())["taskUid"])
    if settings["status"] != "succeeded":
        raise RuntimeError(f"settings task {settings['status']}: {settings.get('error')}")
    task = server.call("POST", f"/indexes/{INDEX_UID}/documents?primaryKey=id", payload, "application/x-ndjson")
    done = server.wait(task["taskUid"])
    seconds = time.perf_counter() - start
    if done["status"] != "succeeded":
        raise RuntimeError(f"documents task {done['status']}: {done.get('error')}")
    stats = server.call("GET", f"/indexes/{INDEX_UID}/stats")
    return {"documents": stats.get("numberOfDocuments"), "seconds": seconds, "disk_mb": server.disk_mb(),
            "rss_mb": server.rss_mb(), "settings_task": settings.get("duration"),
            "documents_task": done.get("duration")}


def quiet_server(log_path: Path) -> Server:
    """Start a server whose stderr (warnings, tracebacks of failing requests) goes to `log_path`.

    The child inherits file descriptor 2 when it is spawned, so it is pointed at the log only then.
    """
    saved = os.dup(2)
    try:
        with open(log_path, "ab") as log:
            os.dup2(log.fileno(), 2)
            return Server()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def start_loupe(corpus_path: Path, log_path: Path) -> tuple[Server | None, dict]:
    """A fresh server with the corpus indexed, and its figures or the reason it failed."""
    server = quiet_server(log_path)
    try:
        return server, index_loupe(server, corpus_path.read_bytes())
    except (OSError, urllib.error.URLError, RuntimeError, KeyError) as error:
        return server, {"error": f"{type(error).__name__}: {error}"}


# ---------------------------------------------------------------- report

def fmt(value, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def quality_text(workload: str, q: dict) -> str:
    if workload == "typing" and q.get("name_sequences"):
        typed = q["typed_to_find"]
        return (f"name@10 {q['name_final_top10']}/{q['name_sequences']}"
                + (f", typed {typed:.0%}" if typed is not None else ""))
    if workload.startswith("typo") and q:
        return f"R@1 {q['recall_at_1']:.3f} R@10 {q['recall_at_10']:.3f}"
    return ""


def checks_text(workload: str, q: dict) -> str:
    if workload == "filter" and q:
        return (f"total {q['total_mismatch']}/{q['placeholders']} facets {q['facet_mismatch']}/{q['placeholders']}"
                f" filter {q['filter_violations']}")
    if workload == "sort" and q:
        unchecked = f" unchecked {q['unchecked']}" if q["unchecked"] else ""
        return (f"top10 {q['top10_mismatch']}/{q['placeholders']} unsorted {q['unsorted']}{unchecked}"
                f" filter {q['filter_violations']}")
    return ""


def ratio(loupe: dict, peer: dict, key: str) -> float | None:
    if loupe.get(key) is None or not peer.get(key):
        return None
    return loupe[key] / peer[key]


def table(results: dict, engines: list[str]) -> str:
    """The one table: a row per workload and engine; peers' rows carry Loupe's latency multiple."""
    head = ["workload", "engine", "n", "err", "p50 ms", "p99 ms", "q/s", "quality", "checks (mismatches)",
            "Loupe/x p50", "Loupe/x p99"]
    rows = []
    for workload, per_engine in results["workloads"].items():
        loupe = per_engine.get("loupe", {})
        for engine in engines:
            f = per_engine[engine]
            if "p50_ms" not in f:
                why = f.get("unavailable") or f"HTTP {f.get('error_status')}"
                rows.append([workload, engine, str(f["n"]), str(f["errors"]), f"n/a ({why})", "", "", "", "",
                             "", ""])
                continue
            peer = engine != "loupe"
            errors = f"{f['errors']} (HTTP {f['error_status']})" if f["errors"] else "0"
            rows.append([workload, engine, str(f["n"]), errors, fmt(f["p50_ms"]), fmt(f["p99_ms"]),
                         fmt(f["qps"], ".0f"), quality_text(workload, f["quality"]),
                         checks_text(workload, f["quality"]),
                         fmt(ratio(loupe, f, "p50_ms"), ".1f") + "x" if peer and loupe.get("p50_ms") else "",
                         fmt(ratio(loupe, f, "p99_ms"), ".1f") + "x" if peer and loupe.get("p99_ms") else ""])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])


def index_table(results: dict, engines: list[str]) -> str:
    lines = ["engine   documents  index s  store MiB  peak RSS MiB"]
    for engine in engines:
        f = results["index"].get(engine, {})
        if "error" in f:
            lines.append(f"{engine:<8} n/a ({f['error']})")
            continue
        lines.append(f"{engine:<8} {f.get('documents', '-'):>9}  {fmt(f.get('seconds')):>7}  "
                     f"{fmt(f.get('disk_mb'), '.1f'):>9}  {fmt(f.get('rss_mb'), '.0f'):>12}")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def run_engine(engine: str, search: Callable[[Item], Answer], workloads: dict[str, list[Item]], warmup: int,
               docs: dict, corpus: str, client: LoupeClient | None) -> dict[str, dict]:
    figures = {}
    for workload, items in workloads.items():
        if client is not None:
            client.configure(WORKLOAD_SETTINGS.get(workload, DEFAULT_TYPO_SETTINGS))
        outcomes = replay(search, items, warmup)
        buckets = {}
        if client is not None and workload == "sort":
            buckets = loupe_sort_buckets(client, items)
        result = latency_figures(outcomes)
        result["quality"] = quality(workload, items, outcomes, docs, corpus, engine, buckets)
        figures[workload] = result
        print(f"  {engine:<8} {workload:<11} {fmt(result.get('p50_ms'))} ms p50, {result['errors']} errors",
              file=sys.stderr)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="full")
    parser.add_argument("--limit", type=int, default=None, help="at most N queries per workload file")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset of " + ",".join(ENGINES))
    parser.add_argument("--warmup", type=int, default=5, help="untimed queries before each workload")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    corpus_path = CORPORA[args.corpus]
    started = time.perf_counter()
    docs = {str(doc["id"]): doc for doc, _line in read_corpus(corpus_path)}
    workloads = load_workloads(args.limit)
    results: dict = {"corpus": args.corpus, "documents": len(docs), "limit": args.limit, "hits": HITS,
                     "index": {}, "workloads": {w: {} for w in workloads}}
    workdir = Path(tempfile.mkdtemp(prefix="loupe-peers-"))
    server = None
    try:
        if "loupe" in engines:
            print(f"indexing {len(docs)} documents into Loupe ...", file=sys.stderr)
            log = Path(tempfile.mkstemp(prefix="loupe-search-bench-", suffix=".log")[1])
            results["loupe_log"] = str(log)
            server, results["index"]["loupe"] = start_loupe(corpus_path, log)
        for engine in engines:
            if engine != "loupe":
                print(f"indexing {len(docs)} documents into {engine} ...", file=sys.stderr)
                results["index"][engine] = build_peer(engine, corpus_path, workdir)
        for engine in engines:
            if engine == "loupe":
                figures = run_loupe(server, results, workloads, args.warmup, docs, args.corpus)
            else:
                peer = PEERS[engine](Path(results["index"][engine]["path"]))
                figures = run_engine(engine, lambda item, p=peer: p.search(item.request), workloads, args.warmup,
                                     docs, args.corpus, None)
            for workload, f in figures.items():
                results["workloads"][workload][engine] = f
    finally:
        if server is not None:
            server.stop()
            shutil.rmtree(server.tmp, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
    results["seconds"] = time.perf_counter() - started
    print_report(results, engines)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def run_loupe(server: Server | None, results: dict, workloads: dict[str, list[Item]], warmup: int, docs: dict,
              corpus: str) -> dict[str, dict]:
    """Loupe's figures, or rows marked unavailable when indexing failed."""
    index = results["index"]["loupe"]
    if server is None or "error" in index:
        why = f"index: {index.get('error', 'no server')}"[:60]
        return {w: {"n": len(items), "errors": len(items), "unavailable": why, "quality": {}}
                for w, items in workloads.items()}
    client = LoupeClient(server.port)
    results["http_floor"] = client.health_floor()
    return run_engine("loupe", lambda item: client.search(item.body), workloads, warmup, docs, corpus, client)


def print_report(results: dict, engines: list[str]) -> None:
    limit = f", first {results['limit']} queries per file" if results["limit"] else ""
    print(f"\nSearch benchmark: corpus {results['corpus']} ({results['documents']} documents{limit}), "
          f"{results['hits']} hits per query, sequential\n")
    print(index_table(results, engines))
    floor = results.get("http_floor")
    if floor is not None:
        text = floor if isinstance(floor, str) else f"p50 {floor['p50_ms']:.3f} ms, p99 {floor['p99_ms']:.3f} ms"
        print(f"\nLoupe HTTP floor (GET /health, keep-alive): {text}")
    print()
    print(table(results, engines))
    log = Path(results.get("loupe_log", ""))
    if log.is_file() and log.stat().st_size:
        lines = log.read_text(errors="replace").count("\n")
        print(f"\nLoupe server stderr: {lines} lines in {log}")
    print(f"\ntotal run time {results['seconds']:.0f} s")


if __name__ == "__main__":
    main()
