"""`loupe`: start the server (Meilisearch's flags, `MEILI_*` variables, config file)."""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from engine.engine import Engine

from engine.tasks.webhooks import cli_webhook

from .app import create_app
from .notify import BatchNotifier
from .protocol import timeouts
from .serve import listen, run_server
from .cli_args import load_config
from .config import ConfigError, format_size_limit

log = logging.getLogger("loupe")


def _load(argv: list[str]) -> Any:
    try:
        return load_config(argv, os.environ, Path.cwd())
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        raise SystemExit(exc.exit_code)


def main(argv: list[str] | None = None) -> None:
    config = _load(sys.argv[1:] if argv is None else argv)
    run(config)


def run(config: Any) -> None:
    configure_logging(config)
    for warning in getattr(config, "warnings", []):
        log.warning(warning)
    import_at_startup(config)
    sockets = listen(config.host, config.port)
    processes = http_workers(config)
    log.info("Loupe listening on http://%s:%s (db: %s, %d serving process%s)", config.host, config.port,
             config.db_path, processes, "es" if processes > 1 else "")
    if processes > 1:
        from .prefork import run_prefork
        single_threaded_blas()
        run_prefork(config, sockets, processes)
        return
    allow_networks_of(config)
    engine = Engine(config.db_path, worker="process", worker_options=worker_options(config, webhook_of(config)))
    run_server(build_app(config, engine), engine, sockets, new_event_loop())


BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def single_threaded_blas() -> None:
    """One BLAS thread in each process spawned from here on, unless the operator set otherwise.

    With one serving process per core, a BLAS call that fans out to every core competes with the
    other processes' requests: semantic search p50 measured 7.5 ms with two BLAS threads against
    3.3 ms with one on this 2-core machine under concurrent load.  Spawned processes read these
    variables when they first import numpy."""
    for name in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


def configure_logging(config: Any) -> None:
    level = getattr(config, "log_level", "INFO").upper()
    logging.basicConfig(level=logging.CRITICAL + 10 if level == "OFF" else getattr(logging, level.replace("WARN", "WARNING").replace("TRACE", "DEBUG"), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def allow_networks_of(config: Any) -> None:
    from engine.embedders.transport import allow_networks
    allow_networks(config.experimental_allowed_ip_networks)  # queries are embedded in this process


def webhook_of(config: Any) -> dict | None:
    return cli_webhook(config.task_webhook_url, config.task_webhook_authorization_header)


def http_workers(config: Any) -> int:
    """Serving processes: ``--http-workers`` / ``MEILI_HTTP_WORKERS``, else one per usable core."""
    configured = getattr(config, "http_workers", None)
    if configured:
        return configured
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def build_app(config: Any, engine: Engine) -> Any:
    """The aiohttp application of one serving process."""
    app = create_app(engine, master_key=config.master_key, payload_limit=config.http_payload_size_limit,
                     payload_limit_text=format_size_limit(config.http_payload_size_limit), env=config.env,
                     forced_features=frozenset(k for k, on in config.instance_features().items() if on),
                     cli_webhook=webhook_of(config), search_preview=config.serves_search_preview)
    app["body_timeout"] = timeouts()[1]
    return app


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (about 0.025 ms, 7%, off a keep-alive GET /health
    round trip, measured alternating both servers); asyncio's own loop otherwise, same behaviour."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def import_at_startup(config: Any) -> None:
    """--import-dump / --import-snapshot: build the database before anything opens it."""
    from engine.backup.dumps import import_dump, should_import
    from engine.errors import LoupeError
    from engine.backup.snapshots import import_snapshot
    try:
        if config.import_dump is not None and should_import(config.db_path, config.import_dump,
                                                            config.ignore_missing_dump,
                                                            config.ignore_dump_if_db_exists):
            log.info("importing dump %s", config.import_dump)
            import_dump(config.import_dump, config.db_path)
        if config.import_snapshot is not None and should_import(config.db_path, config.import_snapshot,
                                                                config.ignore_missing_snapshot,
                                                                config.ignore_snapshot_if_db_exists, kind="snapshot"):
            log.info("importing snapshot %s", config.import_snapshot)
            import_snapshot(config.import_snapshot, config.db_path)
    except (LoupeError, ValueError, OSError) as exc:
        print(f"Error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        raise SystemExit(1)


def worker_options(config: Any, hook: dict | None = None) -> dict[str, Any]:
    return {
        "on_batch": BatchNotifier(hook),
        "max_batched_tasks": getattr(config, "experimental_max_number_of_batched_tasks", None),
        "dump_dir": getattr(config, "dump_dir", None),
        "snapshot_dir": getattr(config, "snapshot_dir", None),
        # documents are embedded in the worker process: it needs the allowance too
        "allowed_ip_networks": getattr(config, "experimental_allowed_ip_networks", None) or (),
    }


if __name__ == "__main__":
    main()
