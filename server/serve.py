"""Serving an app until SIGTERM or SIGINT, and stopping within `SHUTDOWN_DEADLINE` seconds.

`web.run_app` waits up to a minute for in-flight requests on shutdown (a client that sent half a
body kept the server alive 60 s), and its signal handlers only run when the event loop gets
control back.  Here:

* the signal handler is a plain `signal.signal` one, run by Python between two bytecodes of the
  main thread even while a long search holds the event loop; it tells the task worker to stop at
  once (a batch in progress is rolled back and re-run at the next start) and the loop to shut
  down, and starts a deadline thread;
* the loop stops accepting connections, closes idle ones, gives in-flight requests `GRACE`
  seconds to finish, then cancels them (a half-sent body is one of those) and gives them as long
  again to unwind;
* if all that is not over `HARD_EXIT_AFTER` seconds after the signal (a long synchronous search
  cannot be cancelled), the deadline thread kills the worker and leaves with ``os._exit(0)``:
  nothing is lost, every acknowledged write is already durable in the task queue;
* a second signal exits at once.

Connections are served by `protocol.LoupeRequestHandler` (its own errors as Meilisearch error
objects, idle and body timeouts).
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import time
from typing import Any, Callable

from aiohttp import web

from engine.engine import Engine

from .protocol import LoupeRequestHandler, handler_options

log = logging.getLogger("loupe")

SHUTDOWN_DEADLINE = 2.0
#: Seconds in-flight requests get to finish once shutdown begins (then as long to unwind).
GRACE = 0.4
#: The deadline thread exits the process this long after the signal, whatever is still running.
HARD_EXIT_AFTER = 1.2


class Shutdown:
    """The first SIGTERM/SIGINT starts a graceful stop under a hard deadline; a second exits."""

    def __init__(self, engine: Engine, loop: asyncio.AbstractEventLoop, exit_on_second: bool = True):
        """``exit_on_second``: False in a serving process of several, which may get both the
        signal sent to its process group and the one its master relays: only the first counts."""
        self.engine, self.loop, self.exit_on_second = engine, loop, exit_on_second
        self.requested = asyncio.Event()
        self.signalled_at: float | None = None

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def remaining(self) -> float:
        """Seconds left before the deadline (the whole deadline when no signal came yet)."""
        if self.signalled_at is None:
            return HARD_EXIT_AFTER
        return max(0.0, self.signalled_at + HARD_EXIT_AFTER - time.monotonic())

    def _on_signal(self, signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        if self.signalled_at is not None:
            if self.exit_on_second:
                log.warning("%s received again: exiting now", name)
                self._exit_now()
            return
        self.signalled_at = time.monotonic()
        log.info("%s received: shutting down (at most %.1f s)", name, SHUTDOWN_DEADLINE)
        threading.Thread(target=self._deadline, name="loupe-shutdown-deadline", daemon=True).start()
        if self.engine.supervisor is not None:
            self.engine.supervisor.request_stop()
        self.loop.call_soon_threadsafe(self.requested.set)

    def _deadline(self) -> None:
        time.sleep(HARD_EXIT_AFTER)
        log.warning("shutdown not finished %.1f s after the signal: exiting now (requests in progress are "
                    "abandoned; a batch in progress is re-run at the next start)", HARD_EXIT_AFTER)
        self._exit_now()

    def _exit_now(self) -> None:
        supervisor = self.engine.supervisor
        if supervisor is not None and supervisor.pid is not None:
            try:
                os.kill(supervisor.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        logging.shutdown()
        os._exit(0)


def listen(host: str, port: int) -> list[socket.socket]:
    """Bound listening sockets, one per address ``host`` resolves to (as asyncio's own
    `create_server` does); made before anything else so that several serving processes can
    share them (they accept from the same queue: a process busy with a long search takes no new
    connection, an idle one does)."""
    sockets = []
    seen = set()
    for family, kind, proto, _name, address in socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                                  flags=socket.AI_PASSIVE):
        if (family, address) in seen:
            continue
        seen.add((family, address))
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind(address)
        except OSError:
            sock.close()
            for other in sockets:
                other.close()
            raise
        sock.listen(1024)
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def run_server(app: web.Application, engine: Engine, sockets: list[socket.socket],
               loop: asyncio.AbstractEventLoop, serving: Callable[[], None] | None = None) -> None:
    """Serve ``app`` on ``sockets`` until a signal; then stop everything, ``engine`` included.
    ``serving()`` is called once requests are being accepted (by one of several serving processes,
    which also ignores any signal after the first)."""
    asyncio.set_event_loop(loop)
    shutdown = Shutdown(engine, loop, exit_on_second=serving is None)
    shutdown.install()
    try:
        loop.run_until_complete(_serve(app, sockets, shutdown, serving))
    finally:
        started = time.monotonic()
        engine.close(worker_timeout=max(0.1, shutdown.remaining() - 0.2))
        loop.close()
        if shutdown.signalled_at is not None:
            log.info("stopped %.2f s after the signal (worker and store closed in %.2f s)",
                     time.monotonic() - shutdown.signalled_at, time.monotonic() - started)


async def _serve(app: web.Application, sockets: list[socket.socket], shutdown: Shutdown,
                 serving: Callable[[], None] | None) -> None:
    options = handler_options()
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=GRACE, **options)
    await runner.setup()
    loop = asyncio.get_running_loop()
    manager = runner.server
    assert manager is not None
    servers = [await loop.create_server(lambda: LoupeRequestHandler(manager, loop=loop, **options), sock=sock,
                                        backlog=1024) for sock in sockets]
    if serving is not None:
        serving()
    try:
        await shutdown.requested.wait()
    finally:
        for server in servers:
            server.close()
        await runner.cleanup()
