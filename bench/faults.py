"""Proof under faults and load (issue 19 §6): kill -9 at random moments, a full disk, and long mixed
load, each printing its figures.

    python bench/faults.py crash [--rounds 100] [--target server|worker] [--seed 1]
    python bench/faults.py disk                       # needs root: mounts a small tmpfs
    python bench/faults.py load [--seconds 600] [--clients 50] [--server-arg=--http-workers=2]

crash: one store across all rounds.  Each round starts `loupe`, a writer sends mixed writes (new
    documents, replacements, deletions, settings) one at a time, and after a random 0.1–2 s the
    target is killed with SIGKILL: the whole server (process group), or only its task worker (the
    server must notice, restart it and go on).  Then every write acknowledged with 202 must exist
    as a task, every task must end `succeeded`, and the index must hold exactly the documents the
    acknowledged writes make (the one request in flight at the kill may or may not have landed).
    Prints rounds, writes acknowledged, writes lost, tasks failed, stores that failed to open and
    hangs (a request or task wait over its timeout).

disk: (a) the index store's LMDB map full (`LOUPE_INDEX_MAP_SIZE`), then (b) the filesystem full
    (the store on a 48 MiB tmpfs): the document task that does not fit fails with Meilisearch's
    error, searches keep answering, and once space returns (a deletion; a larger map after a
    restart; files removed from the tmpfs) writing succeeds again.

load: the 10k Debian corpus indexed, then `--clients` concurrent keep-alive clients for
    `--seconds`: 60 % searches (typing workload), 30 % facet searches, 10 % document writes
    (`--writes`; searches and facet searches keep their 2:1 ratio in the rest).
    Prints requests, throughput, p50/p99 per kind and every non-2xx answer.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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
from common import DATASETS, REPO, free_port  # noqa: E402

INDEX = "faults"
HTTP_TIMEOUT = 15.0
TASK_TIMEOUT = 120.0


class Hang(Exception):
    """A request or a task wait that did not finish in time."""


class Loupe:
    """A `loupe` process of its own session (kill -9 of the group reaches its worker too)."""

    def __init__(self, db: Path, extra: list[str] | None = None, env: dict[str, str] | None = None):
        self.db, self.extra, self.env = db, extra or [], env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        args = [sys.executable, "-m", "server", "--http-addr", f"127.0.0.1:{self.port}", "--db-path",
                str(self.db), "--no-analytics", "--log-level", "WARN", *self.extra]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEILI_")}
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        self.log = open(self.db.parent / f"loupe-{self.port}.log", "ab")
        self.proc = subprocess.Popen(args, cwd=self.db.parent, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**env, **self.env}, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"loupe exited with {self.proc.returncode}")
            try:
                if self.call("GET", "/health", timeout=1)[0] == 200:
                    return
            except (OSError, Hang):  # the port is bound before the serving processes accept
                pass
            time.sleep(0.05)
        raise Hang("loupe did not become healthy")

    def worker_pids(self) -> list[int]:
        """The task worker among the server's descendants (serving processes are children of the
        master too): the process named `loupe-worker`."""
        assert self.proc is not None
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            children: list[int] = []
            for thread in Path(f"/proc/{pid}/task").glob("*"):  # each thread lists the children it made
                try:
                    children += map(int, (thread / "children").read_text().split())
                except OSError:
                    pass
            for child in children:
                todo.append(child)
                try:
                    if Path(f"/proc/{child}/comm").read_text().strip() == "loupe-worker":
                        found.append(child)
                except OSError:
                    pass
        return found

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self.log.close()

    def call(self, method: str, path: str, body: object = None, timeout: float = HTTP_TIMEOUT) -> tuple[int, object]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")
        except TimeoutError as error:
            raise Hang(f"{method} {path}") from error

    def wait(self, uid: int, timeout: float = TASK_TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, task = self.call("GET", f"/tasks/{uid}")
            if status == 200 and task["status"] not in ("enqueued", "processing"):  # type: ignore[index]
                return task  # type: ignore[return-value]
            time.sleep(0.05)
        raise Hang(f"task {uid} still not finished after {timeout:.0f} s")


# -- crash ------------------------------------------------------------------------------------------

class Model:
    """What the index must hold: each document id's possible versions (None: absent).  Only the
    request in flight at a kill widens a document's set; everything acknowledged narrows it."""

    def __init__(self) -> None:
        self.docs: dict[int, set[int | None]] = {}
        self.next_id = 0
        self.version = 0

    def plan(self, rng: random.Random) -> tuple[str, object, dict[int, int | None]]:
        """A random write: (route, body, its effect by document id)."""
        present = [i for i, versions in self.docs.items() if versions != {None}]
        roll = rng.random()
        self.version += 1
        if roll < 0.55 or len(present) < 20:
            ids = list(range(self.next_id, self.next_id + rng.randint(1, 300)))
            self.next_id += len(ids)
            return "add", [self._doc(i) for i in ids], {i: self.version for i in ids}
        if roll < 0.8:
            ids = rng.sample(present, min(len(present), rng.randint(1, 100)))
            return "add", [self._doc(i) for i in ids], {i: self.version for i in ids}
        if roll < 0.95:
            ids = rng.sample(present, min(len(present), rng.randint(1, 50)))
            return "delete", ids, {i: None for i in ids}
        attrs = rng.choice([["title", "body"], ["*"], ["body", "title"]])
        return "settings", {"searchableAttributes": attrs}, {}

    def _doc(self, doc_id: int) -> dict:
        return {"id": doc_id, "v": self.version, "title": f"doc {doc_id} v{self.version}",
                "body": "lorem ipsum dolor sit amet " * (1 + doc_id % 7)}

    def apply(self, effect: dict[int, int | None], certain: bool) -> None:
        for doc_id, version in effect.items():
            if certain:
                self.docs[doc_id] = {version}
            else:
                self.docs.setdefault(doc_id, {None}).add(version)


def send(server: Loupe, kind: str, body: object) -> tuple[int, object]:
    if kind == "add":
        return server.call("POST", f"/indexes/{INDEX}/documents?primaryKey=id", body)
    if kind == "delete":
        return server.call("POST", f"/indexes/{INDEX}/documents/delete-batch", body)
    return server.call("PATCH", f"/indexes/{INDEX}/settings", body)


def writer(server: Loupe, model: Model, rng: random.Random, stop: threading.Event, out: dict) -> None:
    """Writes one at a time until ``stop``; records acknowledged task uids."""
    while not stop.is_set():
        kind, body, effect = model.plan(rng)
        out["in_flight"] = effect
        try:
            status, answer = send(server, kind, body)
        except Hang:
            out["hung"] = True
            return
        except OSError:
            return  # the kill cut this request: it may or may not have been enqueued
        out["in_flight"] = None
        if status != 202:
            out["refused"].append((status, answer))
            return
        out["acknowledged"].append(answer["taskUid"])  # type: ignore[index]
        model.apply(effect, certain=True)


def index_documents(server: Loupe) -> dict[int, int]:
    found: dict[int, int] = {}
    offset = 0
    while True:
        status, page = server.call("GET", f"/indexes/{INDEX}/documents?limit=1000&offset={offset}&fields=id,v")
        if status == 404:
            return found
        results = page["results"]  # type: ignore[index]
        for doc in results:
            found[doc["id"]] = doc["v"]
        if len(results) < 1000:
            return found
        offset += 1000


def crash(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="loupe-crash-"))
    db = tmp / "data.ms"
    model = Model()
    totals = {"acknowledged": 0, "lost": 0, "failed": 0, "unopenable": 0, "hangs": 0, "mismatches": 0,
              "worker_restarts_seen": 0}
    started = time.monotonic()
    for round_ in range(1, args.rounds + 1):
        server = Loupe(db)
        try:
            server.start()
        except (RuntimeError, Hang) as error:
            totals["unopenable"] += 1
            print(f"round {round_}: the store did not open: {error}")
            break
        out: dict = {"acknowledged": [], "refused": [], "in_flight": None, "hung": False}
        stop = threading.Event()
        thread = threading.Thread(target=writer, args=(server, model, rng, stop, out), daemon=True)
        thread.start()
        time.sleep(rng.uniform(0.1, 2.0))
        try:
            if args.target == "server":
                server.kill()
                thread.join(30)
                server = Loupe(db)
                server.start()
            else:
                before = set(server.worker_pids())
                for pid in before:
                    os.kill(pid, signal.SIGKILL)
                time.sleep(rng.uniform(0.0, 1.0))  # the writer goes on meanwhile
                stop.set()
                thread.join(HTTP_TIMEOUT + 5)
                if thread.is_alive() or out["hung"]:
                    raise Hang("a write blocked after the worker was killed")
                if set(server.worker_pids()) - before:
                    totals["worker_restarts_seen"] += 1
            totals["acknowledged"] += len(out["acknowledged"])
            if out["in_flight"] is not None:
                model.apply(out["in_flight"], certain=False)
            for uid in out["acknowledged"]:
                status, _task = server.call("GET", f"/tasks/{uid}")
                if status != 200:
                    totals["lost"] += 1
                    continue
                task = server.wait(uid)
                if task["status"] != "succeeded":
                    totals["failed"] += 1
                    print(f"round {round_}: task {uid} {task['status']}: {task.get('error')}")
            if server.call("GET", "/tasks?statuses=enqueued,processing&limit=1")[1]["total"]:  # type: ignore[index]
                for task in server.call("GET", "/tasks?statuses=enqueued,processing&limit=1000")[1]["results"]:  # type: ignore[index]
                    server.wait(task["uid"])
            found = index_documents(server)
            wrong = [i for i, versions in model.docs.items() if found.get(i) not in versions]
            wrong += [i for i in found if i not in model.docs]
            if wrong:
                totals["mismatches"] += 1
                print(f"round {round_}: {len(wrong)} documents differ from the acknowledged writes, e.g. "
                      f"{[(i, found.get(i), model.docs.get(i)) for i in wrong[:3]]}")
            # what is now certain: the documents as they are
            model.docs = {i: {found.get(i)} for i in set(model.docs) | set(found)}
        except Hang as error:
            totals["hangs"] += 1
            print(f"round {round_}: hang: {error}")
            server.kill()
            break
        finally:
            stop.set()
        server.stop()
        if round_ % 10 == 0 or round_ == args.rounds:
            print(f"round {round_}: {totals}  ({time.monotonic() - started:.0f} s)", flush=True)
    print(f"\ncrash ({args.target}): {round_} rounds, {totals['acknowledged']} writes acknowledged, "
          f"{totals['lost']} lost, {totals['failed']} tasks not succeeded, {totals['mismatches']} rounds with wrong "
          f"documents, {totals['unopenable']} stores that failed to open, {totals['hangs']} hangs"
          + (f", worker restarts seen in {totals['worker_restarts_seen']} rounds" if args.target == "worker" else ""))
    shutil.rmtree(tmp, ignore_errors=True)
    bad = totals["lost"] + totals["failed"] + totals["mismatches"] + totals["unopenable"] + totals["hangs"]
    return 1 if bad else 0


# -- disk -------------------------------------------------------------------------------------------

def _fill_until_failure(server: Loupe, start_id: int, per_batch: int = 2000) -> tuple[dict, int]:
    """Adds batches of incompressible documents until a task fails; (that task, next id)."""
    rng = random.Random(7)
    doc_id = start_id
    for _ in range(10_000):
        docs = [{"id": doc_id + i, "blob": "".join(rng.choices("abcdefghijklmnopqrstuvwxyz ", k=400))}
                for i in range(per_batch)]
        doc_id += per_batch
        status, answer = send(server, "add", docs)
        if status != 202:
            return {"status": "refused", "error": answer}, doc_id
        task = server.wait(answer["taskUid"])  # type: ignore[index]
        if task["status"] != "succeeded":
            return task, doc_id
    raise RuntimeError("the store never filled up")


def _check_reads(server: Loupe) -> str:
    status, body = server.call("POST", f"/indexes/{INDEX}/search", {"q": "abc", "limit": 3})
    return f"search {status}, {body.get('estimatedTotalHits') if isinstance(body, dict) else body} hits"


def disk(args: argparse.Namespace) -> int:
    ok = True
    tmp = Path(tempfile.mkdtemp(prefix="loupe-disk-"))
    # (a) the map full
    db = tmp / "map" / "data.ms"
    db.parent.mkdir()
    server = Loupe(db, env={"LOUPE_INDEX_MAP_SIZE": str(64 << 20)})
    server.start()
    task, next_id = _fill_until_failure(server, 0)
    print(f"map full: task {task.get('uid')} {task['status']}: {json.dumps(task.get('error'))}")
    print(f"  then: {_check_reads(server)}")
    ok &= task["status"] == "failed" and (task.get("error") or {}).get("code") != "internal"
    status, answer = send(server, "delete", list(range(0, next_id // 2)))
    deleted = server.wait(answer["taskUid"]) if status == 202 else {"status": f"refused {status}"}  # type: ignore[index]
    status, answer = send(server, "add", [{"id": next_id, "blob": "after the deletion"}])
    after = server.wait(answer["taskUid"]) if status == 202 else {"status": f"refused {status}"}  # type: ignore[index]
    print(f"  deleting half: {deleted['status']}; a small write then: {after['status']}")
    server.stop()
    bigger = Loupe(db, env={"LOUPE_INDEX_MAP_SIZE": str(256 << 20)})
    bigger.start()
    status, answer = send(bigger, "add", [{"id": next_id + 1, "blob": "x " * 5000} for _ in range(1)])
    resumed = bigger.wait(answer["taskUid"]) if status == 202 else {"status": f"refused {status}"}  # type: ignore[index]
    print(f"  restarted with a larger map: write {resumed['status']}")
    ok &= resumed["status"] == "succeeded"
    bigger.stop()
    # (b) the filesystem full
    mount = tmp / "tmpfs"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)]).returncode:
        print("filesystem full: not run (mounting a tmpfs needs root)")
        return 0 if ok else 1
    try:
        db = mount / "data.ms"
        ballast = mount / "ballast"
        server = Loupe(db)
        server.start()
        ballast.write_bytes(os.urandom(24 << 20))
        task, next_id = _fill_until_failure(server, 0, per_batch=500)
        print(f"filesystem full: task {task.get('uid')} {task['status']}: {json.dumps(task.get('error'))}")
        print(f"  then: {_check_reads(server)}; /health {server.call('GET', '/health')}")
        ok &= task["status"] == "failed" and (task.get("error") or {}).get("code") == "no_space_left_on_device"
        ballast.unlink()
        status, answer = send(server, "add", [{"id": next_id, "blob": "after freeing space"}])
        resumed = server.wait(answer["taskUid"]) if status == 202 else {"status": f"refused {status}"}  # type: ignore[index]
        print(f"  after removing 24 MiB of other files: write {resumed['status']}")
        ok &= resumed["status"] == "succeeded"
        server.stop()
    finally:
        for _ in range(50):  # the worker leaves a moment after the server
            if subprocess.run(["umount", str(mount)], stderr=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.2)
        else:
            subprocess.run(["umount", "-l", str(mount)])
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


# -- load -------------------------------------------------------------------------------------------

def _percentile(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


async def _client(session, url: str, queries: list[str], rng: random.Random, deadline: float,
                  out: dict, next_id: list[int], writes: float) -> None:
    while time.monotonic() < deadline:
        roll = rng.random()
        if roll >= 1 - writes:
            roll = 1.0
        else:
            roll *= 0.9 / (1 - writes)
        if roll < 0.6:
            kind, method, path = "search", "POST", f"/indexes/{INDEX}/search"
            body: object = {"q": rng.choice(queries), "limit": 20, "attributesToHighlight": ["name", "description"]}
        elif roll < 0.9:
            kind, method, path = "facet", "POST", f"/indexes/{INDEX}/facet-search"
            body = {"facetName": "section", "facetQuery": rng.choice(queries)[:3], "q": rng.choice(queries)}
        else:
            kind, method, path = "write", "POST", f"/indexes/{INDEX}/documents"
            next_id[0] += 1
            body = [{"id": f"load-{next_id[0]}", "name": f"load{next_id[0]}", "description": rng.choice(queries),
                     "section": "load"}]
        start = time.perf_counter()
        try:
            async with session.request(method, url + path, json=body) as response:
                await response.read()
                status = response.status
        except Exception as error:  # noqa: BLE001 - every failure is a figure here
            status = f"{type(error).__name__}"
        out["times"].setdefault(kind, []).append(time.perf_counter() - start)
        if not (isinstance(status, int) and 200 <= status < 300):
            out["bad"].append((kind, status))


async def _load(url: str, clients: int, seconds: float, queries: list[str], writes: float) -> dict:
    import aiohttp
    out: dict = {"times": {}, "bad": []}
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        next_id = [0]
        await asyncio.gather(*(_client(session, url, queries, random.Random(i), deadline, out, next_id, writes)
                               for i in range(clients)))
    return out


def load(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="loupe-load-"))
    server = Loupe(tmp / "data.ms", extra=args.server_arg)
    server.start()
    try:
        settings = {"filterableAttributes": ["section", "priority"], "sortableAttributes": ["installed_size"],
                    "searchableAttributes": ["name", "description", "tags"]}
        server.wait(send(server, "settings", settings)[1]["taskUid"])  # type: ignore[index]
        corpus = (DATASETS / "debian-packages" / "packages-10k.ndjson").read_bytes()
        request = urllib.request.Request(f"{server.url}/indexes/{INDEX}/documents?primaryKey=id", data=corpus,
                                         method="POST", headers={"Content-Type": "application/x-ndjson"})
        with urllib.request.urlopen(request, timeout=600) as response:
            uid = json.loads(response.read())["taskUid"]
        server.wait(uid, timeout=600)
        queries = [json.loads(line)["q"] for line in (DATASETS / "queries" / "typing.jsonl").read_text().splitlines()]
        started = time.monotonic()
        out = asyncio.run(_load(server.url, args.clients, args.seconds, queries, args.writes))
        elapsed = time.monotonic() - started
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    total = sum(len(t) for t in out["times"].values())
    print(f"load: {args.clients} clients for {elapsed:.0f} s, server args {args.server_arg or 'none'}: "
          f"{total} requests, {total / elapsed:.0f}/s, {len(out['bad'])} not 2xx")
    for kind, samples in sorted(out["times"].items()):
        print(f"  {kind:>7}: {len(samples):7d}  p50 {_percentile(samples, 50) * 1000:7.2f} ms  "
              f"p99 {_percentile(samples, 99) * 1000:7.2f} ms")
    for kind, status in out["bad"][:20]:
        print(f"  not 2xx: {kind} {status}")
    return 1 if out["bad"] else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("crash")
    c.add_argument("--rounds", type=int, default=100)
    c.add_argument("--target", choices=["server", "worker"], default="server")
    c.add_argument("--seed", type=int, default=1)
    sub.add_parser("disk")
    lo = sub.add_parser("load")
    lo.add_argument("--seconds", type=float, default=600)
    lo.add_argument("--clients", type=int, default=50)
    lo.add_argument("--writes", type=float, default=0.1, help="share of requests that write (default 0.1)")
    lo.add_argument("--server-arg", action="append", default=[], help="passed to loupe, e.g. --server-arg=--x=2")
    args = ap.parse_args()
    return {"crash": crash, "disk": disk, "load": load}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
