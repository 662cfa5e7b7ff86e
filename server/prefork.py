"""Several serving processes on one port, one task worker: ``--http-workers N`` (N > 1).

Searches run on the event loop of the process serving them, one core at a time (the GIL), so
one process serves one core's worth of searches and a long one holds every request of that
process.  With N processes::

    loupe (master) ── binds the port, supervises ──┬── serving process 1 ─┐
         │                                         ├── …                  ├─ accept from the same
         │                                         └── serving process N ─┘  listening sockets
         └── WorkerSupervisor ── task worker process (the only writer of indexes)

* The master binds the listening sockets before anything else and hands them to each serving
  process (spawned, not forked: no LMDB handle or thread crosses a fork).  They accept from the
  same queue: a process busy with a long search accepts nothing, the others take the new
  connections.
* Each serving process opens the store read-only in practice (`Engine(worker="external")`),
  wakes the worker with datagrams and reads its health from one shared byte the master's
  supervisor keeps up to date: GET /health answers the same in every process.
* Per-process caches stay correct across batches because each one is keyed by the index
  version read in the same LMDB read transaction as the search (engine/search/context.py), and
  the API keys cache by a version counter stored with the keys (keystore.py).
* A serving process that dies is started again (logged as a WARNING); all die with the master
  (``PR_SET_PDEATHSIG``).
* SIGTERM/SIGINT to the master (or to the whole group): the worker and the serving processes are
  told to stop, each under its own deadline (serve.py); whoever is left 1.6 s after the signal
  is killed, and the master exits within 2 s.
"""
from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import threading
import time
from typing import Any

from engine.tasks.supervisor import STABLE_AFTER, WorkerSupervisor, die_with_parent, name_process

log = logging.getLogger("loupe")

#: The master kills whatever still runs this long after the signal, then exits.
KILL_AFTER = 1.6
MAX_RESTART_DELAY = 5.0


def run_prefork(config: Any, sockets: list[socket.socket], processes: int) -> None:
    from .cli import webhook_of, worker_options
    ctx = multiprocessing.get_context("spawn")
    health = ctx.RawValue("b", 0)
    supervisor = WorkerSupervisor(str(config.db_path), worker_options(config, webhook_of(config)),
                                  on_health=lambda ok: setattr(health, "value", 1 if ok else 0))
    master = Master(ctx, config, sockets, health, processes, supervisor)
    master.install_signals()
    master.run()
    _leave()


class Master:
    """Starts the serving processes, restarts the ones that die, stops all on a signal."""

    def __init__(self, ctx: Any, config: Any, sockets: list[socket.socket], health: Any, processes: int,
                 supervisor: WorkerSupervisor):
        self.ctx, self.config, self.sockets, self.health = ctx, config, sockets, health
        self.supervisor = supervisor
        self.slots: list[Any] = [None] * processes
        self.started: list[float] = [0.0] * processes
        self.delays: list[float] = [0.0] * processes
        self.signalled_at: float | None = None
        self._interrupt_r, self._interrupt_w = os.pipe()
        os.set_blocking(self._interrupt_w, False)

    def install_signals(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.signalled_at is not None:
            self._kill_all()
            os._exit(0)
        self.signalled_at = time.monotonic()
        log.info("%s received: shutting down (at most 2.0 s)", signal.Signals(signum).name)
        threading.Thread(target=self._deadline, name="loupe-shutdown-deadline", daemon=True).start()
        self.supervisor.request_stop()
        for process in self.slots:
            _signal(process, signal.SIGTERM)
        try:
            os.write(self._interrupt_w, b"!")
        except OSError:
            pass

    def _deadline(self) -> None:
        time.sleep(KILL_AFTER)
        log.warning("shutdown not finished %.1f s after the signal: killing what is left", KILL_AFTER)
        self._kill_all()
        logging.shutdown()
        os._exit(0)

    def _kill_all(self) -> None:
        for process in self.slots:
            _signal(process, signal.SIGKILL)
        if self.supervisor.pid is not None:
            _signal_pid(self.supervisor.pid, signal.SIGKILL)

    def run(self) -> None:
        up = [self._spawn(slot) for slot in range(len(self.slots))]
        self._wait_serving(up)
        self.supervisor.start()  # after: a batch to recover must not starve the serving processes' start
        while self.signalled_at is None:
            sentinels = {p.sentinel: n for n, p in enumerate(self.slots) if p is not None}
            fired = multiprocessing.connection.wait([*sentinels, self._interrupt_r])
            if self.signalled_at is not None:
                break
            for sentinel in fired:
                if sentinel in sentinels:
                    self._restart(sentinels[sentinel])
        self._wait_for_all()

    def _spawn(self, slot: int) -> Any:
        """Start serving process ``slot``; returns the pipe end on which it says it serves."""
        reader, writer = self.ctx.Pipe(duplex=False)
        process = self.ctx.Process(target=serving_process, name=f"loupe-http-{slot + 1}",
                                   args=(self.config, self.sockets, self.health, os.getpid(), writer), daemon=True)
        process.start()
        writer.close()
        self.slots[slot], self.started[slot] = process, time.monotonic()
        return reader

    def _wait_serving(self, readers: list[Any], timeout: float = 60.0) -> None:
        """Until every serving process accepts requests (or died, or a signal came)."""
        deadline = time.monotonic() + timeout
        pending = list(readers)
        while pending and self.signalled_at is None and time.monotonic() < deadline:
            for reader in multiprocessing.connection.wait([*pending, self._interrupt_r], deadline - time.monotonic()):
                if reader in pending:
                    pending.remove(reader)
                    reader.close()
        for reader in pending:
            reader.close()

    def _restart(self, slot: int) -> None:
        process = self.slots[slot]
        process.join(0.1)
        log.warning("serving process %d (pid %s) died (exit code %s); restarting it", slot + 1, process.pid,
                    process.exitcode)
        stable = time.monotonic() - self.started[slot] > STABLE_AFTER
        self.delays[slot] = 0.0 if stable else min(max(self.delays[slot] * 2, 0.05), MAX_RESTART_DELAY)
        if self.delays[slot]:
            time.sleep(self.delays[slot])  # a crash loop must not spin; signals still interrupt
        if self.signalled_at is None:
            self._spawn(slot).close()

    def _wait_for_all(self) -> None:
        assert self.signalled_at is not None
        for process in self.slots:
            if process is not None:
                process.join(max(0.0, self.signalled_at + KILL_AFTER - 0.1 - time.monotonic()))
        self.supervisor.stop(max(0.05, self.signalled_at + KILL_AFTER - 0.1 - time.monotonic()))
        log.info("stopped %.2f s after the signal", time.monotonic() - self.signalled_at)


def _signal(process: Any, signum: int) -> None:
    if process is not None and process.pid is not None:
        _signal_pid(process.pid, signum)


def _signal_pid(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def serving_process(config: Any, sockets: list[socket.socket], health: Any, master: int, up: Any) -> None:
    """Entry point of one serving process: its own store handle, app and event loop; says on
    ``up`` when it accepts requests."""
    die_with_parent(master)
    name_process(multiprocessing.current_process().name)  # loupe-http-N
    from engine.engine import Engine

    from .cli import allow_networks_of, build_app, configure_logging, new_event_loop
    from .serve import run_server
    configure_logging(config)
    allow_networks_of(config)
    engine = Engine(config.db_path, worker="external", worker_health=lambda: health.value == 1)
    run_server(build_app(config, engine), engine, sockets, new_event_loop(), serving=lambda: _say(up))
    _leave()


def _leave() -> None:
    """Exit without the interpreter's teardown (hundreds of ms for a process holding numpy and
    the caches, too long for the shutdown deadline): everything is closed or durable already."""
    logging.shutdown()
    os._exit(0)


def _say(up: Any) -> None:
    try:
        up.send_bytes(b"serving")
        up.close()
    except OSError:
        pass
