"""`loupe`: start the server (Meilisearch's flags, `MEILI_*` variables, config file)."""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from engine.engine import Engine

from engine.tasks.webhooks import cli_webhook

from .app import create_app
from .notify import BatchNotifier
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
    level = getattr(config, "log_level", "INFO").upper()
    logging.basicConfig(level=logging.CRITICAL + 10 if level == "OFF" else getattr(logging, level.replace("WARN", "WARNING").replace("TRACE", "DEBUG"), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for warning in getattr(config, "warnings", []):
        log.warning(warning)
    import_at_startup(config)
    from engine.embedders.transport import allow_networks
    allow_networks(config.experimental_allowed_ip_networks)  # queries are embedded in this process
    hook = cli_webhook(config.task_webhook_url, config.task_webhook_authorization_header)
    engine = Engine(config.db_path, worker="process", worker_options=worker_options(config, hook))
    app = create_app(engine, master_key=config.master_key, payload_limit=config.http_payload_size_limit,
                     payload_limit_text=format_size_limit(config.http_payload_size_limit), env=config.env,
                     forced_features=frozenset(k for k, on in config.instance_features().items() if on),
                     cli_webhook=hook, search_preview=config.serves_search_preview)
    host, port = config.host, config.port
    log.info("Loupe listening on http://%s:%s (db: %s)", host, port, config.db_path)
    try:
        web.run_app(app, host=host, port=port, print=None, access_log=None, handle_signals=True,
                    reuse_address=True, loop=new_event_loop())
    finally:
        engine.close()


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
