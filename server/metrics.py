"""Prometheus metrics: an in-process registry of HTTP traffic plus gauges read at scrape time.

Two kinds of numbers make up `GET /metrics` (api.md §18):

* *traffic*, counted as requests are answered — `MetricsRegistry.record(method, template,
  status, seconds)` feeds ``meilisearch_http_requests_total`` and the
  ``meilisearch_http_response_time_seconds`` histogram.  Labels use the route *template*
  (``/indexes/{index_uid}/search``), never the raw path, so the series count stays bounded;
* *state*, computed when scraped — index and document counts, task counts by status, type and
  index, database sizes, queue latency (`collect_state`).

`render` prints both in the Prometheus text format (v0.0.4) the way the Rust `prometheus` crate
does: families sorted by name, each with ``# HELP``/``# TYPE``, series sorted by label values,
histogram buckets cumulative with ``le`` last::

    >>> r = MetricsRegistry(); r.record("GET", "/health", 200, 0.003)
    >>> [l for l in r.render_traffic() if l.startswith("meilisearch_http_requests_total")]
    ['meilisearch_http_requests_total{method="GET",path="/health",status="200"} 1']
"""
from __future__ import annotations

import threading
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Iterable

from engine.store.env import QUEUE_MAP_SIZE
from engine.tasks.task import ENQUEUED, PROCESSING, STATUSES, TYPES
from engine.settings.validate import float_text

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Upper bounds (seconds) of the response-time histogram, upstream's values.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
#: New tasks are refused once the task database is this full (tasks.md §11).
TASK_QUEUE_STOP_RATIO = 0.4
#: Label for requests that matched no route; raw paths would make the series unbounded.
UNMATCHED = "unmatched"

HELP = {
    "meilisearch_db_size_bytes": ("Meilisearch DB Size In Bytes", "gauge"),
    "meilisearch_degraded_search_requests": ("Meilisearch number of degraded search requests", "gauge"),
    "meilisearch_http_requests_total": ("Meilisearch HTTP requests total", "counter"),
    "meilisearch_http_response_time_seconds": ("Meilisearch HTTP response times", "histogram"),
    "meilisearch_index_count": ("Meilisearch Index Count", "gauge"),
    "meilisearch_index_docs_count": ("Meilisearch Index Docs Count", "gauge"),
    "meilisearch_is_indexing": ("Meilisearch Is Indexing", "gauge"),
    "meilisearch_last_update": ("Meilisearch Last Update", "gauge"),
    "meilisearch_nb_tasks": ("Meilisearch Number of tasks", "gauge"),
    "meilisearch_task_queue_latency_seconds": ("Meilisearch Task Queue Latency in Seconds", "gauge"),
    "meilisearch_task_queue_max_size": ("Meilisearch Task Queue Max Size", "gauge"),
    "meilisearch_task_queue_size_until_stop_registering":
        ("Meilisearch Task Queue Size Until Stop Registering", "gauge"),
    "meilisearch_task_queue_used_size": ("Meilisearch Task Queue Used Size", "gauge"),
    "meilisearch_used_db_size_bytes": ("Meilisearch Used DB Size In Bytes", "gauge"),
}

Labels = tuple[tuple[str, str], ...]
Samples = dict[str, list[tuple[str, Labels, float | int]]]  # family -> [(sample name, labels, value)]


@dataclass
class _Histogram:
    """Per-bin counts (bin i = (BUCKETS[i-1], BUCKETS[i]], last = above all); cumulated on render."""

    bins: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        self.bins[bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds
        self.count += 1

    def cumulative(self) -> list[int]:
        return list(accumulate(self.bins[:-1]))


class MetricsRegistry:
    """HTTP traffic counters of this process.  Thread-safe; `record` costs two dict updates."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = {}
        self._times: dict[tuple[str, str], _Histogram] = {}
        self.degraded_searches = 0

    def record(self, method: str, route_template: str | None, status: int, seconds: float) -> None:
        """Count one answered request; ``route_template`` None means no route matched."""
        path = route_template if route_template is not None else UNMATCHED
        with self._lock:
            key = (method, path, str(status))
            self._requests[key] = self._requests.get(key, 0) + 1
            hist = self._times.get((method, path))
            if hist is None:
                hist = self._times[(method, path)] = _Histogram()
            hist.observe(seconds)

    def record_degraded_search(self) -> None:
        with self._lock:
            self.degraded_searches += 1

    def traffic(self) -> Samples:
        with self._lock:
            requests = dict(self._requests)
            times = {k: _Histogram(list(h.bins), h.total, h.count) for k, h in self._times.items()}
            degraded = self.degraded_searches
        samples: Samples = {
            "meilisearch_degraded_search_requests": [("meilisearch_degraded_search_requests", (), degraded)],
            "meilisearch_http_requests_total": [
                ("meilisearch_http_requests_total", (("method", m), ("path", p), ("status", s)), n)
                for (m, p, s), n in requests.items()],
        }
        name = "meilisearch_http_response_time_seconds"
        series: list[tuple[str, Labels, float | int]] = []
        for (m, p), hist in sorted(times.items()):
            labels: Labels = (("method", m), ("path", p))
            for bound, n in zip(BUCKETS, hist.cumulative()):
                series.append((name + "_bucket", labels + (("le", float_text(bound).removesuffix(".0")),), n))
            series.append((name + "_bucket", labels + (("le", "+Inf"),), hist.count))
            series.append((name + "_sum", labels, hist.total))
            series.append((name + "_count", labels, hist.count))
        if series:
            samples[name] = series
        return samples

    def render_traffic(self) -> list[str]:
        return render_lines(self.traffic())


def route_template(segments: Iterable[str]) -> str:
    """`/indexes/{index_uid}/search` from a route's segments (`server.http.Route.segments`)."""
    return "/" + "/".join(segments)


def collect_state(engine: Any, now_ns: int | None = None) -> Samples:
    """Gauges read from the store at scrape time.  Walks the task queue once (O(tasks))."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    store = engine.store
    records = engine.list_indexes()
    docs: list[tuple[str, Labels, float | int]] = []
    with store.index_env.begin() as txn:
        for record in records:
            stats = engine.registry.get_meta(txn, record["iid"], "stats") or {}
            docs.append(("meilisearch_index_docs_count", (("index", record["uid"]),),
                         stats.get("numberOfDocuments", 0)))
    statuses = dict.fromkeys(STATUSES, 0)
    types = dict.fromkeys(TYPES, 0)
    per_index: dict[str, int] = {}
    oldest_pending: int | None = None
    indexing = False
    for task in engine.queue.iter_tasks(reverse=False):
        statuses[task["status"]] = statuses.get(task["status"], 0) + 1
        types[task["type"]] = types.get(task["type"], 0) + 1
        if task.get("indexUid") is not None:
            per_index[task["indexUid"]] = per_index.get(task["indexUid"], 0) + 1
        if task["status"] in (ENQUEUED, PROCESSING) and oldest_pending is None:
            oldest_pending = task["enqueuedAt"]
        indexing = indexing or task["status"] == PROCESSING
    nb_tasks = ([("meilisearch_nb_tasks", (("kind", "indexes"), ("value", uid)), n) for uid, n in per_index.items()]
                + [("meilisearch_nb_tasks", (("kind", "statuses"), ("value", s)), n) for s, n in statuses.items()]
                + [("meilisearch_nb_tasks", (("kind", "types"), ("value", t)), n) for t, n in types.items()])
    queue_info, queue_stat = store.queue_env.info(), store.queue_env.stat()
    queue_used = (queue_info["last_pgno"] + 1) * queue_stat["psize"]
    queue_max = queue_info.get("map_size", QUEUE_MAP_SIZE)
    last_update = max((r.get("updatedAt", 0) for r in records), default=0) // 1_000_000_000
    latency = (now_ns - oldest_pending) / 1e9 if oldest_pending is not None else 0.0

    def gauge(name: str, value: float | int) -> list[tuple[str, Labels, float | int]]:
        return [(name, (), value)]

    return {
        "meilisearch_db_size_bytes": gauge("meilisearch_db_size_bytes", store.size_on_disk()),
        "meilisearch_index_count": gauge("meilisearch_index_count", len(records)),
        "meilisearch_index_docs_count": docs,
        "meilisearch_is_indexing": gauge("meilisearch_is_indexing", int(indexing)),
        "meilisearch_last_update": gauge("meilisearch_last_update", last_update),
        "meilisearch_nb_tasks": nb_tasks,
        "meilisearch_task_queue_latency_seconds": gauge("meilisearch_task_queue_latency_seconds", max(latency, 0.0)),
        "meilisearch_task_queue_max_size": gauge("meilisearch_task_queue_max_size", queue_max),
        "meilisearch_task_queue_size_until_stop_registering": gauge(
            "meilisearch_task_queue_size_until_stop_registering",
            max(int(queue_max * TASK_QUEUE_STOP_RATIO) - queue_used, 0)),
        "meilisearch_task_queue_used_size": gauge("meilisearch_task_queue_used_size", queue_used),
        "meilisearch_used_db_size_bytes": gauge("meilisearch_used_db_size_bytes", store.used_size()),
    }


def render(registry: MetricsRegistry, engine: Any) -> str:
    """The whole `GET /metrics` body."""
    samples = collect_state(engine)
    samples.update(registry.traffic())
    return "".join(line + "\n" for line in render_lines(samples))


def render_lines(samples: Samples) -> list[str]:
    lines: list[str] = []
    for family in sorted(samples):
        series = samples[family]
        if not series:
            continue
        help_text, kind = HELP[family]
        lines.append(f"# HELP {family} {help_text}")
        lines.append(f"# TYPE {family} {kind}")
        ordered = series if kind == "histogram" else sorted(series, key=lambda s: tuple(v for _, v in s[1]))
        for name, labels, value in ordered:
            lines.append(f"{name}{_labels(labels)} {_number(value)}")
    return lines


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float | int) -> str:
    """Integers as integers; floats as Rust prints an f64 (`0.5`, `1`, `12.25`)."""
    if isinstance(value, int):
        return str(value)
    return float_text(value).removesuffix(".0")


__all__ = ["BUCKETS", "CONTENT_TYPE", "MetricsRegistry", "UNMATCHED", "collect_state", "render", "route_template"]
