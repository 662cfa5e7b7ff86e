"""Wake-ups for the task worker process that can never block the process sending them.

A `multiprocessing.Event` is the obvious tool and the wrong one: its ``set()`` waits on a
semaphore that the sleeping process releases, so once the worker has died in its ``wait()``
(the OOM killer, kill -9) every ``set()`` blocks for ever — and it is called by the event loop
that answers HTTP.  A wake-up here is one datagram on a Unix socket in the abstract namespace,
named after the store: sending is a non-blocking ``sendto`` whose failures are ignored, because
each one means a wake-up is useless or already pending:

* no socket bound (the worker is dead or still starting): a starting worker looks at the queue
  before it first sleeps, so nothing enqueued meanwhile is missed;
* the socket's buffer is full: unread wake-ups are waiting already.

Any process opening the store can wake its worker this way (no handle to inherit), and a
restarted worker binds the same name.  The worker still polls the queue every half second, so a
lost datagram costs at most that.
"""
from __future__ import annotations

import errno
import hashlib
import os
import select
import socket
import time
from pathlib import Path

#: Seconds a new worker keeps trying to bind its wake-up socket while a previous worker of the
#: same store (killed a moment ago) still holds it; after that it polls without one.
BIND_PATIENCE = 2.0


def wake_address(db_path: str | os.PathLike) -> bytes:
    """The abstract socket name of a store's worker: one per resolved store path."""
    digest = hashlib.sha256(str(Path(db_path).resolve()).encode()).hexdigest()[:32]
    return b"\0loupe-worker-" + digest.encode()


class Waker:
    """The sending side: ``set()`` asks the worker to look at the queue now.  Thread-safe."""

    def __init__(self, db_path: str | os.PathLike):
        self.address = wake_address(db_path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)

    def set(self) -> None:
        try:
            self._sock.sendto(b"!", self.address)
        except OSError:
            pass  # nobody listening, or wake-ups already pending (see the module docstring)

    def close(self) -> None:
        self._sock.close()


class WakeListener:
    """The worker's side, with the ``wait``/``clear`` of the `threading.Event` `Worker.run` sleeps on."""

    def __init__(self, db_path: str | os.PathLike, patience: float = BIND_PATIENCE):
        self._sock: socket.socket | None = _bind(wake_address(db_path), patience)

    def wait(self, timeout: float) -> bool:
        """True when a wake-up arrived within ``timeout`` seconds."""
        if self._sock is None:
            time.sleep(timeout)
            return False
        ready, _, _ = select.select([self._sock], [], [], timeout)
        return bool(ready)

    def clear(self) -> None:
        """Drop every pending wake-up (the worker is about to look at the queue anyway)."""
        while self._sock is not None:
            try:
                self._sock.recv(64)
            except (BlockingIOError, InterruptedError):
                return

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _bind(address: bytes, patience: float) -> socket.socket | None:
    deadline = time.monotonic() + patience
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(address)
            sock.setblocking(False)
            return sock
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                return None
            time.sleep(0.02)
