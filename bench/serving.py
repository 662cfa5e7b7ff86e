"""Serving processes (issue 19): search throughput with 1 and N serving processes, /health while a
huge multi-search runs, and how long a dead task worker goes unnoticed.

    python bench/serving.py                      # full corpus, 20 s per throughput run
    python bench/serving.py --corpus 10k --seconds 10

One store is indexed once (the corpus with bench/search.py's settings); then, for each count of
serving processes (`--http-workers`, default "1,2"), a server is started on it and:

1. **throughput**: `--connections` (32) keep-alive connections replay the typing workload
   (search-as-you-type, `limit` 20) for `--seconds`; searches/s, p50 and p99;
2. **/health during a huge multi-search**: one client posts a 10,000-query multi-search (refused
   once its answer passes the 64 MiB bound, after holding its process for seconds) while another
   asks GET /health on fresh connections every 10 ms; p50/p99/max of /health;
3. **search while the corpus indexes**: one client searches query after query, 10 s alone, then
   while the whole corpus is indexed into a second index; p50/p99/max of both and the indexing time;
4. **dead worker detection** (once): SIGKILL the task worker, poll /health every 2 ms; time until
   the first 503, and until 200 again (a new worker ready).

The load generator runs on the same machine (it takes part of a core: figures are conservative).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATASETS, REPO, free_port, percentiles  # noqa: E402

CORPORA = {"full": DATASETS / "debian-packages" / "packages.ndjson",
           "10k": DATASETS / "debian-packages" / "packages-10k.ndjson"}
SETTINGS = {"searchableAttributes": ["name", "summary", "description"],
            "filterableAttributes": ["section", "priority", "tags", "architecture", "installed_size"],
            "sortableAttributes": ["installed_size", "name"]}


class Loupe:
    def __init__(self, db: Path, workers: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = db.parent / f"loupe-{self.port}.log"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen([sys.executable, "-m", "server", "--http-addr", f"127.0.0.1:{self.port}",
                                      "--db-path", str(db), "--http-workers", str(workers)],
                                     cwd=db.parent, env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        while health(self.url)[0] != 200:
            time.sleep(0.05)

    def call(self, method: str, path: str, body: bytes | None = None, ctype: str = "application/json"):
        request = urllib.request.Request(self.url + path, data=body, method=method, headers={"Content-Type": ctype})
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())

    def wait(self, uid: int) -> dict:
        while (task := self.call("GET", f"/tasks/{uid}"))["status"] in ("enqueued", "processing"):
            time.sleep(0.05)
        return task

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def health(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url + "/health", timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0
    return status, time.perf_counter() - started


async def throughput(url: str, queries: list[str], connections: int, seconds: float) -> dict:
    import aiohttp
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(n: int, session: aiohttp.ClientSession) -> None:
        nonlocal errors
        i = n * 37
        while time.perf_counter() < deadline:
            body = json.dumps({"q": queries[i % len(queries)], "limit": 20}).encode()
            started = time.perf_counter()
            async with session.post(url + "/indexes/packages/search", data=body,
                                    headers={"Content-Type": "application/json"}) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - started)
            i += 1

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client(n, session) for n in range(connections)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    p = percentiles(latencies)
    return {"searches_per_s": len(latencies) / elapsed, "p50_ms": p[50] * 1e3, "p99_ms": p[99] * 1e3,
            "errors": errors, "client_cores": cpu / elapsed}


WRK_SCRIPT = """
bodies = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/indexes/packages/search", {["Content-Type"] = "application/json"},
                    bodies[(counter %% #bodies) + 1])
end
response = function(status, headers, body)
  if status ~= 200 then errors_seen = (errors_seen or 0) + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("LOUPE %%d %%d %%f %%f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def throughput_wrk(url: str, queries: list[str], connections: int, seconds: float) -> dict:
    """The same workload driven by wrk (C, one thread): a generator that takes far less of the
    machine's cores than aiohttp's client, so the servers' own scaling shows."""
    import resource
    bodies = ",".join("[==[" + json.dumps({"q": q, "limit": 20}) + "]==]" for q in queries)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % bodies)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "-s", script.name, url],
                         capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.unlink(script.name)
    requests, errors, p50_us, p99_us = re.search(r"LOUPE (\d+) (\d+) ([\d.]+) ([\d.]+)", out).groups()
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"searches_per_s": int(requests) / seconds, "p50_ms": float(p50_us) / 1e3, "p99_ms": float(p99_us) / 1e3,
            "errors": int(errors), "client_cores": cpu / seconds}


def search_while_indexing(server: "Loupe", queries: list[str], corpus: Path) -> dict:
    """One client searching `packages` query after query (typing workload, one keep-alive
    connection): first for 10 s with nothing else running, then while the whole corpus is indexed
    into a second index with the same settings.  p50/p99/max of each, and the indexing time."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)

    def one(i: int) -> float:
        started = time.perf_counter()
        connection.request("POST", "/indexes/packages/search", json.dumps({"q": queries[i % len(queries)], "limit": 20}),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        return time.perf_counter() - started

    quiet, i, deadline = [], 0, time.perf_counter() + 10
    while time.perf_counter() < deadline:
        quiet.append(one(i))
        i += 1
    outcome: dict = {}

    def index_copy() -> None:
        started = time.perf_counter()
        server.wait(server.call("PATCH", "/indexes/packages-copy/settings", json.dumps(SETTINGS).encode())["taskUid"])
        task = server.call("POST", "/indexes/packages-copy/documents?primaryKey=id", corpus.read_bytes(),
                           "application/x-ndjson")
        outcome["status"] = server.wait(task["taskUid"])["status"]
        outcome["seconds"] = time.perf_counter() - started

    writer = threading.Thread(target=index_copy)
    writer.start()
    busy = []
    while writer.is_alive():
        busy.append(one(i))
        i += 1
    writer.join()
    server.wait(server.call("DELETE", "/indexes/packages-copy")["taskUid"])  # the next run starts alike
    q, b = percentiles(quiet), percentiles(busy)
    return {"quiet": (q[50] * 1e3, q[99] * 1e3, max(quiet) * 1e3, len(quiet)),
            "busy": (b[50] * 1e3, b[99] * 1e3, max(busy) * 1e3, len(busy)), **outcome}


def health_during_multi_search(url: str, queries: list[str]) -> dict:
    body = json.dumps({"queries": [{"indexUid": "packages", "q": queries[i % len(queries)]}
                                   for i in range(10000)]}).encode()
    outcome: dict = {}

    def big() -> None:
        started = time.perf_counter()
        request = urllib.request.Request(url + "/multi-search", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                outcome["status"], outcome["bytes"] = response.status, len(response.read())
        except urllib.error.HTTPError as exc:
            outcome["status"], outcome["bytes"] = exc.code, len(exc.read())
        outcome["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=big)
    thread.start()
    time.sleep(0.2)
    samples = []
    while thread.is_alive():
        samples.append(health(url)[1])
        time.sleep(0.01)
    thread.join()
    p = percentiles(samples)
    return {**outcome, "health_samples": len(samples), "health_p50_ms": p[50] * 1e3,
            "health_p99_ms": p[99] * 1e3, "health_max_ms": max(samples) * 1e3}


def worker_detection(server: Loupe) -> dict:
    pids = re.findall(r"task worker \(pid (\d+)\) ready", server.log.read_text())
    os.kill(int(pids[-1]), signal.SIGKILL)
    killed = time.perf_counter()
    first_503 = back = None
    while back is None:
        status, _ = health(server.url)
        now = time.perf_counter() - killed
        if status == 503 and first_503 is None:
            first_503 = now
        if status == 200 and first_503 is not None:
            back = now
        time.sleep(0.002)
    return {"first_503_ms": first_503 * 1e3, "available_again_s": back}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="full")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--http-workers", default="1,2")
    parser.add_argument("--generator", choices=["wrk", "aiohttp"], default="wrk" if shutil.which("wrk") else "aiohttp",
                        help="what sends the throughput load: wrk (Debian package `wrk`; default where installed) "
                             "or aiohttp's client (takes about a third of a core at these rates)")
    args = parser.parse_args()
    queries = [json.loads(line)["q"] for line in (DATASETS / "queries" / "typing.jsonl").read_text().splitlines()]
    with tempfile.TemporaryDirectory(prefix="loupe-serving-") as tmp:
        db = Path(tmp) / "data.ms"
        server = Loupe(db, 1)
        server.wait(server.call("PATCH", "/indexes/packages/settings", json.dumps(SETTINGS).encode())["taskUid"])
        task = server.call("POST", "/indexes/packages/documents?primaryKey=id", CORPORA[args.corpus].read_bytes(),
                           "application/x-ndjson")
        assert server.wait(task["taskUid"])["status"] == "succeeded"
        server.stop()
        for workers in (int(n) for n in args.http_workers.split(",")):
            server = Loupe(db, workers)
            time.sleep(2)  # the cache warmer builds the index's read caches
            if args.generator == "wrk":
                result = throughput_wrk(server.url, queries, args.connections, args.seconds)
            else:
                result = asyncio.run(throughput(server.url, queries, args.connections, args.seconds))
            print(f"{workers} serving process(es), {args.connections} connections, typing workload, "
                  f"{args.corpus} corpus ({args.generator}): {result['searches_per_s']:.0f} searches/s, p50 {result['p50_ms']:.1f} ms, "
                  f"p99 {result['p99_ms']:.1f} ms, {result['errors']} errors; the load generator itself used "
                  f"{result['client_cores']:.2f} of the machine's {os.cpu_count()} cores", flush=True)
            during = health_during_multi_search(server.url, queries)
            print(f"  /health during a 10,000-query multi-search ({during['status']}, {during['bytes']} bytes, "
                  f"{during['seconds']:.1f} s): p50 {during['health_p50_ms']:.1f} ms, "
                  f"p99 {during['health_p99_ms']:.1f} ms, max {during['health_max_ms']:.1f} ms "
                  f"({during['health_samples']} samples)", flush=True)
            during_indexing = search_while_indexing(server, queries, CORPORA[args.corpus])
            print("  one client's searches: quiet p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms ({} searches); while the "
                  "{} corpus indexes into a second index ({}, {:.1f} s): p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms "
                  "({} searches)".format(*during_indexing["quiet"], args.corpus, during_indexing["status"],
                                         during_indexing["seconds"], *during_indexing["busy"]), flush=True)
            if workers == 1:
                detection = worker_detection(server)
                print(f"  dead worker: first 503 after {detection['first_503_ms']:.1f} ms, available again after "
                      f"{detection['available_again_s']:.2f} s", flush=True)
            server.stop()


if __name__ == "__main__":
    main()
