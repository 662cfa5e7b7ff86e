"""The task worker as a supervised child process: restarted when it dies, stopped on a deadline.

The server indexes in a child process so that indexing never holds the GIL of the process
answering searches.  A child process can die on its own (the OOM killer picks the largest
process; kill -9 by an operator), so `WorkerSupervisor` keeps one alive::

    supervisor thread ── spawn ──► worker: recover journal ── "ready" ──► process batches …
          ▲                                                                   │ dies
          └──────────── its sentinel fires (at once) ◄────────────────────────┘
                        log a warning, wait the back-off, spawn again

* Death is noticed through the process's sentinel, the moment it happens (no polling).
* A new worker first recovers the journal, exactly as after kill -9 of the whole server: a
  half-recorded batch is finished, an interrupted one is rolled back (LMDB never committed it)
  and its tasks go back to ``enqueued``, to be processed again.
* `healthy()` is true only between a worker's "ready" and its death: GET /health reports the
  server unavailable while it cannot index.
* A worker dying right after start again and again (a broken store, a bad option) is restarted
  with a growing delay (up to `MAX_RESTART_DELAY`) rather than in a hot loop.
* Nothing here blocks on the worker: wake-ups are datagrams (`wakeup.py`), stopping is a signal
  followed by SIGKILL after a deadline.

Stopping: SIGTERM makes the worker leave at once — idle, or in the middle of a batch whose write
transaction is then aborted (the batch is re-run after the next start) — and SIGKILL follows if
it has not left within the deadline (a long call in C).  The worker dies with its parent
(``PR_SET_PDEATHSIG``), so a server that is itself killed leaves no worker behind.
"""
from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from typing import Any, Callable

log = logging.getLogger("loupe.supervisor")

#: Longest wait before restarting a worker that keeps dying right after its start.
MAX_RESTART_DELAY = 5.0
#: A worker that lived this long is restarted without delay, and the delay starts over.
STABLE_AFTER = 10.0


class WorkerShutdown(BaseException):
    """Raised in the worker by SIGTERM: leave now (a BaseException, so no `except Exception`
    of the worker loop mistakes it for a failed batch)."""


class WorkerSupervisor:
    """Keeps one worker process running for the store at ``path``."""

    def __init__(self, path: str, options: dict[str, Any],
                 on_health: Callable[[bool], None] | None = None):
        """``on_health(healthy)`` is called on every change of `healthy()` (several serving
        processes read it from shared memory)."""
        self.path, self.options = path, options
        self.on_health = on_health
        self._ctx = multiprocessing.get_context("spawn")
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._process: Any = None
        self._interrupt_r, self._interrupt_w = os.pipe()
        self._thread = threading.Thread(target=self._supervise, name="loupe-supervisor", daemon=True)
        self.restarts = 0

    def start(self) -> None:
        self._thread.start()

    def healthy(self) -> bool:
        """True while a worker is running and has recovered the journal (it can index)."""
        return self._ready.is_set() and not self._stopping.is_set()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def alive(self) -> bool:
        process = self._process
        return process is not None and process.is_alive()

    # -- stopping ------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Begin stopping without waiting: no restart any more, SIGTERM to the worker.  Safe to
        call from a signal handler (no lock is taken)."""
        self._stopping.set()
        self._set_ready(False)
        try:
            os.write(self._interrupt_w, b"!")
        except OSError:
            pass
        self._signal(signal.SIGTERM)

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the worker: SIGTERM, then SIGKILL if it is still there after ``timeout`` s."""
        self.request_stop()
        with self._lock:  # no spawn in progress past this point
            process = self._process
        if process is not None:
            process.join(timeout)
            if process.is_alive():
                log.warning("task worker (pid %s) did not stop within %.1f s: killed", process.pid, timeout)
                process.kill()
                process.join(1.0)
        self._thread.join(1.0)

    def _set_ready(self, ready: bool) -> None:
        if ready:
            self._ready.set()
        else:
            self._ready.clear()
        if self.on_health is not None:
            self.on_health(ready and not self._stopping.is_set())

    def _signal(self, signum: int) -> None:
        process = self._process
        if process is not None and process.pid is not None:
            try:
                os.kill(process.pid, signum)
            except (ProcessLookupError, PermissionError):
                pass

    # -- the supervision loop ------------------------------------------------------------------
    def _supervise(self) -> None:
        delay = 0.0
        while not self._stopping.is_set():
            started = time.monotonic()
            ready_reader = self._spawn()
            if ready_reader is None:
                break
            self._watch(ready_reader)
            if self._stopping.is_set():
                break
            process = self._process
            log.warning("task worker (pid %s) died (%s); restarting it", process.pid, _exit_reason(process.exitcode))
            self.restarts += 1
            delay = 0.0 if time.monotonic() - started > STABLE_AFTER else min(max(delay * 2, 0.05), MAX_RESTART_DELAY)
            if delay:
                self._stopping.wait(delay)

    def _spawn(self) -> Any:
        reader, writer = self._ctx.Pipe(duplex=False)
        with self._lock:
            if self._stopping.is_set():
                return None
            self._process = self._ctx.Process(target=worker_main, args=(self.path, self.options, writer),
                                              name="loupe-worker", daemon=True)
            self._process.start()
        writer.close()
        return reader

    def _watch(self, ready_reader: Any) -> None:
        """Until the worker dies (or stopping begins): note its "ready" when it comes."""
        process = self._process
        waiting = [process.sentinel, ready_reader, self._interrupt_r]
        try:
            while not self._stopping.is_set():
                fired = multiprocessing.connection.wait(waiting)
                if process.sentinel in fired:
                    break
                if ready_reader in fired:
                    try:
                        ready_reader.recv_bytes()
                        self._set_ready(True)
                        log.info("task worker (pid %s) ready", process.pid)
                    except (EOFError, OSError):
                        pass  # it is dying: its sentinel fires next
                    waiting.remove(ready_reader)
                if self._interrupt_r in fired:
                    os.read(self._interrupt_r, 64)
        finally:
            self._set_ready(False)
            ready_reader.close()
        process.join(1.0)


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


# -- the worker process ------------------------------------------------------------------------

def worker_main(path: str, options: dict[str, Any], ready: Any) -> None:
    """Entry point of the worker child process: its own Store, its own LMDB handles."""
    _die_with_parent()
    name_process("loupe-worker")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the server, which stops us
    signal.signal(signal.SIGTERM, _leave)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        _run_worker(path, dict(options), ready)
    except WorkerShutdown:
        pass
    # No interpreter teardown: daemon threads (webhooks, ANN builds) must not delay the exit, and
    # everything the worker wrote is already committed or safely abandoned.
    os._exit(0)


def _run_worker(path: str, options: dict[str, Any], ready: Any) -> None:
    from ..store import Store
    from .queue import TaskQueue
    from .wakeup import WakeListener
    from .worker import Worker

    __import__("engine.indexer.parallel", fromlist=["enable"]).enable()  # big batches may fork one helper
    store = Store(path)
    services = options.pop("services_factory", None)
    worker = Worker(store, TaskQueue(store), **options)
    if hasattr(worker.on_batch, "bind"):
        worker.on_batch.bind(store)
    if services is not None:
        worker.services.update(services(store))
    worker.run(threading.Event(), WakeListener(path), ready=lambda: _announce(ready))


def _announce(ready: Any) -> None:
    try:
        ready.send_bytes(b"ready")
        ready.close()
    except OSError:
        pass


def _leave(signum: int, frame: Any) -> None:
    raise WorkerShutdown()


def die_with_parent(parent: int) -> bool:
    """Ask Linux to SIGKILL this process when the thread that created it exits (for the worker:
    the server's supervisor thread, which lives as long as the server; for an indexing helper:
    the worker).  ``parent`` is the pid the caller saw before; False where prctl is missing."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL) != 0:  # PR_SET_PDEATHSIG
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(0)
    return True


def name_process(name: str) -> None:
    """Name this process as `ps`, `top` and /proc/<pid>/comm show it (Linux keeps 15 bytes), so
    an operator (or bench/faults.py) can tell the task worker from the serving processes, which
    all run the same interpreter with the same command line."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(15, name.encode()[:15] + b"\0", 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def _die_with_parent() -> None:
    parent = os.getppid()
    if not die_with_parent(parent):
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """Where prctl is missing: notice the parent's death by polling."""
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.5)
