"""Webhook delivery: after each batch, POST the finished tasks to every webhook (tasks.md §12).

The worker calls `notify_batch` (or a `BatchNotifier`) with the batch's final task records.  That
call only reads the webhook list (one short read transaction) and hands a job to a per-process
daemon thread; the worker never waits for the network::

    worker ── notify_batch(store, tasks) ──► queue ──► delivery thread ── POST ──► webhook 1
                 (returns at once)          (≤ 1024)    one job at a time ── POST ──► webhook 2

One request per webhook and batch: ``Content-Type: application/x-ndjson``,
``Content-Encoding: gzip``, then the webhook's own headers (which win on a clash, as upstream's
`ureq` `set` does), and a body of one `task_view` per line.  Jobs are delivered in batch order;
a failure (refused connection, timeout, non-2xx) is logged and forgotten — no retry, like
Meilisearch.  When the queue is full (a dead endpoint behind a flood of batches) new jobs are
dropped with a warning rather than piling up memory.

Uses only the standard library (`http.client`) so the worker process needs no event loop.
"""
from __future__ import annotations

import gzip
import http.client
import logging
import queue
import threading
import urllib.parse
from typing import Any, Iterable, Mapping

import orjson

from engine.store import Store
from engine.tasks.task import FINISHED, task_view
from engine.tasks.webhooks import Webhook, WebhookStore

log = logging.getLogger("loupe.webhooks")

#: Seconds allowed to connect, and then to send and read the answer, per webhook request.
#: Upstream allows 30; a batch notification is worth less than a worker queue backing up.
DELIVERY_TIMEOUT = 10.0
#: Jobs waiting for the delivery thread; beyond this, notifications are dropped (logged).
MAX_PENDING_JOBS = 1024


def encode_tasks(tasks: Iterable[dict[str, Any]]) -> bytes:
    """Gzip-compressed NDJSON: one full task object per finished task, in the given order."""
    lines = b"".join(orjson.dumps(task_view(t)) + b"\n" for t in tasks if t.get("status") in FINISHED)
    return gzip.compress(lines, compresslevel=6)


def request_headers(webhook: Webhook) -> dict[str, str]:
    """Fixed headers first, the webhook's headers replacing any of the same name (any case)."""
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/x-ndjson"}
    for name, value in webhook["headers"].items():
        for existing in [k for k in headers if k.lower() == name.lower()]:
            del headers[existing]
        headers[name] = value
    return headers


def post(url: str, headers: Mapping[str, str], body: bytes, timeout: float = DELIVERY_TIMEOUT) -> int:
    """One POST; returns the status, raises OSError/http.client errors on transport failure.

    `http.client` keeps header names as given (urllib would recapitalise them).
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"unsupported webhook URL `{url}`")
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=timeout)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.putrequest("POST", target, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def deliver(webhooks: Mapping[str, Webhook], tasks: list[dict[str, Any]],
            timeout: float = DELIVERY_TIMEOUT) -> None:
    """Send one batch to each webhook in turn; failures are logged, never raised."""
    body = encode_tasks(tasks)
    for uid, webhook in webhooks.items():
        try:
            status = post(webhook["url"], request_headers(webhook), body, timeout)
            if not 200 <= status < 300:
                log.error("While sending data to the webhook %s: status code %s", uid, status)
        except Exception as exc:  # noqa: BLE001 - a webhook must never hurt the worker
            log.error("While sending data to the webhook %s: %s", uid, exc)


class _Dispatcher:
    """The per-process delivery thread and its bounded job queue (started on first use)."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[tuple[dict[str, Webhook], list[dict[str, Any]], float]] = \
            queue.Queue(MAX_PENDING_JOBS)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, webhooks: dict[str, Webhook], tasks: list[dict[str, Any]], timeout: float) -> bool:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="loupe-webhooks", daemon=True)
                self._thread.start()
        try:
            self.jobs.put_nowait((webhooks, tasks, timeout))
            return True
        except queue.Full:
            log.warning("webhook queue full (%d jobs): notification of %d task(s) dropped",
                        MAX_PENDING_JOBS, len(tasks))
            return False

    def _run(self) -> None:
        while True:
            webhooks, tasks, timeout = self.jobs.get()
            try:
                deliver(webhooks, tasks, timeout)
            finally:
                self.jobs.task_done()


_dispatcher = _Dispatcher()


def notify_batch(store: Store, tasks: list[dict[str, Any]], cli_webhook: Webhook | None = None,
                 *, timeout: float = DELIVERY_TIMEOUT) -> bool:
    """Queue the notification of one batch; True when something was queued.  Never raises."""
    try:
        webhooks = WebhookStore(store, cli=cli_webhook).all()
        finished = [t for t in tasks if t.get("status") in FINISHED]
        if not webhooks or not finished:
            return False
        return _dispatcher.submit(webhooks, finished, timeout)
    except Exception as exc:  # noqa: BLE001
        log.error("webhook notification skipped: %s", exc)
        return False


def flush(timeout: float | None = None) -> bool:
    """Wait until every queued notification was attempted (tests, shutdown).  False on timeout."""
    done = threading.Event()

    def wait() -> None:
        _dispatcher.jobs.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(timeout)


class BatchNotifier:
    """A picklable ``on_batch`` callback for `engine.tasks.worker.Worker`.

    It crosses into the spawned worker process inside ``worker_options``; the store it reads
    webhooks from must be the one opened *in that process* (LMDB forbids a second handle), so it
    is given afterwards with `bind`.  Unbound, it does nothing.
    """

    def __init__(self, cli_webhook: Webhook | None = None, timeout: float = DELIVERY_TIMEOUT):
        self.cli_webhook = cli_webhook
        self.timeout = timeout
        self.store: Store | None = None

    def bind(self, store: Store) -> "BatchNotifier":
        self.store = store
        return self

    def __call__(self, tasks: list[dict[str, Any]]) -> None:
        if self.store is not None:
            notify_batch(self.store, tasks, self.cli_webhook, timeout=self.timeout)

    def __getstate__(self) -> dict[str, Any]:
        return {"cli_webhook": self.cli_webhook, "timeout": self.timeout, "store": None}


__all__ = ["BatchNotifier", "DELIVERY_TIMEOUT", "deliver", "encode_tasks", "flush", "notify_batch",
           "post", "request_headers"]
