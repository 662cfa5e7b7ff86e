"""How a Loupe instance is configured: one option table, one `Config`.

Every option exists under four names that must never drift apart, so they are derived from one
row of `OPTIONS`: the TOML key / `Config` attribute (``http_payload_size_limit``), the flag
(``--http-payload-size-limit``), the environment variable (``MEILI_HTTP_PAYLOAD_SIZE_LIMIT``) and
the help text.  The names are Meilisearch's (cli-config.md) so that a Meilisearch deployment —
Docker env vars, systemd units, config.toml — starts Loupe unchanged::

    >>> parse_size("10MiB"), format_size_limit(100_000_000)
    (10485760, '100 MB')
    >>> Config().http_addr, Config().port
    ('localhost:7700', 7700)

`server/cli_args.py` turns argv + environment + config file into a `Config`; this module holds
the value parsers it uses (each one takes the text a user typed and raises `ValueError` with the
reason) and the derived defaults (memory, threads).  Nothing here reads `sys` or prints.
"""
from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Union
from urllib.parse import urlsplit

# --- named limits and defaults ------------------------------------------------------------------

#: Shortest master key accepted in production (Meilisearch's MASTER_KEY_MIN_SIZE), in bytes.
MASTER_KEY_MIN_SIZE = 16
#: Random bytes in a generated master key; 32 bytes -> 43 URL-safe base64 characters.
GENERATED_MASTER_KEY_BYTES = 32
#: `--schedule-snapshot` without a value, or `schedule_snapshot = true`: once a day.
DEFAULT_SNAPSHOT_INTERVAL_SEC = 86_400
#: Cap of the derived default for `experimental_limit_batched_tasks_total_size` (tasks.md §7).
BATCHED_TASKS_TOTAL_SIZE_CAP = 10 * 1024**3
#: Sizes are u64 in Meilisearch; larger values are refused rather than silently wrapped.
MAX_SIZE = 2**64 - 1

ENVIRONMENTS = ("development", "production")
LOG_LEVELS = ("OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE")
LOG_MODES = ("human", "json")
#: Environment values that turn a boolean option off (clap's FalseyValueParser); all else is true.
FALSY_WORDS = frozenset({"", "false", "0", "no", "off", "f", "n"})

REPO_ROOT = Path(__file__).resolve().parent.parent


def _source_tree_defaults() -> Path | None:
    """settings/config.toml when running from a checkout (setup.cfg beside it), else None.

    The marker matters: installed, REPO_ROOT is site-packages, where a `settings/` folder would
    belong to someone else.
    """
    candidate = REPO_ROOT / "settings" / "config.toml"
    return candidate if (REPO_ROOT / "setup.cfg").is_file() and candidate.is_file() else None


#: Our documented default configuration file: the defaults layer when present.
DEFAULTS_FILE = _source_tree_defaults()

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class ConfigError(Exception):
    """Startup refused: a bad flag, variable or config file, or an unsafe production setup.

    ``exit_code`` follows Meilisearch (clap): 2 for command-line usage errors (unknown flag,
    invalid value, conflicting or missing companion options), 1 for everything else.
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


# --- sizes --------------------------------------------------------------------------------------

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$")
_DECIMAL_UNITS = {"k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5, "e": 1000**6}
_BINARY_UNITS = {p + "i": 1024 ** (i + 1) for i, p in enumerate("kmgtpe")}
_UNIT_FACTORS: dict[str, int] = {"": 1, "b": 1}
for _prefix, _factor in {**_DECIMAL_UNITS, **_BINARY_UNITS}.items():
    _UNIT_FACTORS[_prefix] = _UNIT_FACTORS[_prefix + "b"] = _factor
# Display names, largest first, for format_size_limit.
_DISPLAY_UNITS = [(p.upper() + "B", f) for p, f in _DECIMAL_UNITS.items()] + [
    (p[0].upper() + "iB", f) for p, f in _BINARY_UNITS.items()
]


def parse_size(value: str | int) -> int:
    """Bytes from ``107374182400``, ``"100 MB"``, ``"10MiB"`` or ``"107.7Gb"``.

    Units are case-insensitive (as Meilisearch's byte_unit parses them): ``MB`` = 10^6,
    ``MiB`` = 2^20, ``b`` is a byte, not a bit.  Fractions are allowed and rounded down to
    whole bytes.  Raises `ValueError` with the reason.
    """
    if isinstance(value, bool):
        raise ValueError("expected a size, found a boolean")
    if isinstance(value, int):
        number, factor = Decimal(value), 1
        if value < 0:
            raise ValueError("a size cannot be negative")
    else:
        match = _SIZE_RE.match(value)
        if match is None:
            raise ValueError(
                "expected a number of bytes, optionally followed by a unit "
                "(for instance: 107374182400, '107.7Gb', '100 MB' or '10MiB')"
            )
        unit = match.group(2).lower()
        if unit not in _UNIT_FACTORS:
            raise ValueError(
                f"unknown unit `{match.group(2)}`; use B, KB, MB, GB, TB, PB, EB "
                "or KiB, MiB, GiB, TiB, PiB, EiB"
            )
        try:
            number = Decimal(match.group(1))
        except InvalidOperation:  # pragma: no cover - the regex only lets digits through
            raise ValueError(f"`{match.group(1)}` is not a number") from None
        factor = _UNIT_FACTORS[unit]
    size = int(number * factor)
    if size > MAX_SIZE:
        raise ValueError("the size is too large")
    return size


def format_size_limit(size: int) -> str:
    """The shortest exact spelling of ``size``: ``100 MB``, ``10 MiB``, ``2 GB``, ``1500 B``.

    Used in the ``payload_too_large`` message (errors-auth.md): of all units, decimal and
    binary, that divide ``size`` exactly, the one giving the smallest number wins, so limits
    given in binary units read back in binary units and decimal ones in decimal units.
    """
    exact = [(size // factor, name) for name, factor in _DISPLAY_UNITS if size and size % factor == 0]
    if not exact:
        return f"{size} B"
    number, name = min(exact)
    return f"{number} {name}"


# --- value parsers (text a user typed -> value; ValueError says why) ----------------------------


def parse_bool_env(text: str) -> bool:
    """An environment boolean: true unless a falsy word (`false`, `0`, `no`, `off`, `f`, `n`, empty)."""
    return text.strip().lower() not in FALSY_WORDS


def parse_env(text: str) -> str:
    if text not in ENVIRONMENTS:
        raise ValueError("possible values are `development` and `production`")
    return text


def parse_log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError(
            f"Log level '{text}' is invalid. Accepted values are "
            "'OFF', 'ERROR', 'WARN', 'INFO', 'DEBUG', and 'TRACE'."
        )
    return level


def parse_logs_mode(text: str) -> str:
    mode = text.strip().lower()
    if mode not in LOG_MODES:
        raise ValueError(f"Unsupported log mode level `{text}`. Supported values are `HUMAN` and `JSON`.")
    return mode


def split_http_addr(addr: str) -> tuple[str, int]:
    """``"localhost:7700"`` -> ``("localhost", 7700)``; ``"[::1]:7700"`` -> ``("::1", 7700)``."""
    host, sep, port = addr.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError("expected `host:port`, for instance `localhost:7700` or `0.0.0.0:7700`")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def parse_http_addr(text: str) -> str:
    split_http_addr(text)
    return text


def parse_non_negative_int(text: str) -> int:
    if not text.strip().isdecimal():
        raise ValueError("expected a non-negative integer")
    return int(text)


def parse_positive_int(text: str) -> int:
    number = parse_non_negative_int(text)
    if number == 0:
        raise ValueError("expected a positive integer, found 0")
    return number


def parse_threads(text: str) -> int | None:
    """A thread count; ``unlimited`` or an empty value mean "use the default" (None)."""
    if text.strip() in ("", "unlimited"):
        return None
    return parse_positive_int(text)


def parse_schedule(text: str) -> int | None:
    """Seconds between scheduled snapshots; empty means disabled (None)."""
    if text.strip() == "":
        return None
    return parse_positive_int(text)


def parse_url(text: str) -> str:
    """An absolute URL, checked the way the `url` crate would refuse the common mistakes."""
    parts = urlsplit(text)
    if not parts.scheme or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme):
        raise ValueError("relative URL without a base")
    if parts.scheme.lower() in ("http", "https") and not parts.hostname:
        raise ValueError("empty host")
    return text


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Comma-separated CIDRs (``10.0.0.0/8,::1/128``), host bits tolerated; or ``any``, which
    lets outgoing requests reach every address, private ones included (as Meilisearch)."""
    if text.strip().lower() == "any":
        return (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"`{item}` is not an IP network in CIDR notation (like `10.0.0.0/8`)") from None
    return tuple(networks)


def parse_path(text: str) -> Path:
    return Path(text)


def parse_text(text: str) -> str:
    return text


# --- derived defaults ---------------------------------------------------------------------------


def _cgroup_memory_limit() -> int | None:
    """The container's memory limit (cgroup v2, then v1), or None when unlimited/unknown."""
    for candidate in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(candidate).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            return int(text)
    return None


def total_memory_bytes() -> int | None:
    """Physical RAM, or the container limit when it is lower; None when neither is known."""
    try:
        physical: int | None = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = None
    known = [v for v in (physical, _cgroup_memory_limit()) if v]
    return min(known) if known else None


def default_max_indexing_memory() -> int | None:
    """Two thirds of the memory we may use, like Meilisearch; None (no budget) if unknown."""
    total = total_memory_bytes()
    return total * 2 // 3 if total else None


def default_max_indexing_threads() -> int:
    """Half the CPUs, so searches keep cores while indexing runs; at least one."""
    return max(1, (os.cpu_count() or 2) // 2)


def generate_master_key() -> str:
    """32 random bytes, URL-safe base64 without padding (what Meilisearch proposes)."""
    return secrets.token_urlsafe(GENERATED_MASTER_KEY_BYTES)


# --- the option table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How one type of option is read: from text (flag, env) and from a TOML value."""

    name: str
    parse: Callable[[str], Any]
    toml_types: tuple[type, ...] = (str,)
    metavar: str | None = None  # default: the option name in capitals


TEXT = Kind("text", parse_text)
PATH = Kind("path", parse_path)
URL = Kind("url", parse_url)
ADDR = Kind("addr", parse_http_addr)
BOOL = Kind("bool", parse_bool_env, (bool,))
SIZE = Kind("size", parse_size, (str, int))
COUNT = Kind("count", parse_non_negative_int, (int,))
POSITIVE = Kind("positive", parse_positive_int, (int,))
THREADS = Kind("threads", parse_threads, (int, str))
SCHEDULE = Kind("schedule", parse_schedule, (bool, int), "SNAPSHOT_INTERVAL_SEC")
ENV = Kind("env", parse_env)
LOG_LEVEL = Kind("log_level", parse_log_level)
LOG_MODE = Kind("log_mode", parse_logs_mode)
NETWORKS = Kind("networks", parse_networks, (str, list))


@dataclass(frozen=True)
class OptionSpec:
    """One configuration option: its key, how to read it, and what it is for."""

    name: str
    kind: Kind
    help: str
    env_var: str | None = None  # default: MEILI_ + NAME
    in_toml: bool = True  # `config_file_path` cannot appear in the file itself

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return self.env_var or "MEILI_" + self.name.upper()

    @property
    def metavar(self) -> str:
        return self.kind.metavar or self.name.upper()

    @property
    def takes_value(self) -> bool:
        return self.kind is not BOOL


OPTIONS: tuple[OptionSpec, ...] = (
    # cli-config.md §2: core
    OptionSpec("db_path", PATH, "Directory where the database files are created and read."),
    OptionSpec("http_addr", ADDR, "Address and port to listen on (`host:port`)."),
    OptionSpec("master_key", TEXT, "Master key: protects every route except `GET /health`."),
    OptionSpec("env", ENV, "`development` or `production` (production requires a master key of 16+ bytes)."),
    OptionSpec("no_analytics", BOOL, "Disable telemetry (accepted for compatibility; Loupe sends none)."),
    OptionSpec("http_payload_size_limit", SIZE, "Largest accepted request body, e.g. `100 MB` or `10MiB`."),
    OptionSpec("http_workers", POSITIVE, "Processes serving HTTP on the same port (default: one per core)."),
    OptionSpec("log_level", LOG_LEVEL, "OFF, ERROR, WARN, INFO, DEBUG or TRACE."),
    OptionSpec("experimental_logs_mode", LOG_MODE, "Console log format: `human` or `json`."),
    OptionSpec("task_webhook_url", URL, "URL notified after each processed batch."),
    OptionSpec("task_webhook_authorization_header", TEXT, "`Authorization` header sent to the task webhook."),
    OptionSpec("no_search_preview", BOOL,
               "Do not serve the search preview page at `/` (served to browsers in development mode only)."),
    OptionSpec("config_file_path", PATH, "TOML configuration file (default: ./config.toml if it exists).",
               in_toml=False),
    # §2.2: TLS
    OptionSpec("ssl_cert_path", PATH, "Server certificate (TLS is on when cert and key are both set)."),
    OptionSpec("ssl_key_path", PATH, "Server private key."),
    OptionSpec("ssl_auth_path", PATH, "CA roots used to verify client certificates."),
    OptionSpec("ssl_ocsp_path", PATH, "DER-encoded OCSP response stapled to the certificate."),
    OptionSpec("ssl_require_auth", BOOL, "Require client certificates."),
    OptionSpec("ssl_resumption", BOOL, "Enable TLS session resumption."),
    OptionSpec("ssl_tickets", BOOL, "Enable TLS session tickets."),
    # §3: dumps and snapshots
    OptionSpec("dump_dir", PATH, "Directory where `POST /dumps` writes dump files."),
    OptionSpec("import_dump", PATH, "Build the database from this `.dump` file at startup."),
    OptionSpec("ignore_missing_dump", BOOL, "With --import-dump: start normally if the dump file is missing."),
    OptionSpec("ignore_dump_if_db_exists", BOOL, "With --import-dump: keep an existing database instead of failing."),
    OptionSpec("snapshot_dir", PATH, "Directory where snapshots are written."),
    OptionSpec("schedule_snapshot", SCHEDULE,
               f"Take a snapshot every SNAPSHOT_INTERVAL_SEC seconds ({DEFAULT_SNAPSHOT_INTERVAL_SEC} if no value)."),
    OptionSpec("import_snapshot", PATH, "Restore the database from this snapshot at startup."),
    OptionSpec("ignore_missing_snapshot", BOOL, "With --import-snapshot: start normally if the file is missing."),
    OptionSpec("ignore_snapshot_if_db_exists", BOOL,
               "With --import-snapshot: keep an existing database instead of failing."),
    # §4: indexing and search resources
    OptionSpec("max_indexing_memory", SIZE, "Memory budget of the indexer (default: 2/3 of the RAM)."),
    OptionSpec("max_indexing_threads", THREADS, "Indexing threads (default: half the CPUs; `unlimited` = default)."),
    OptionSpec("experimental_max_number_of_batched_tasks", POSITIVE, "Most tasks in one batch (default: unlimited)."),
    OptionSpec("experimental_limit_batched_tasks_total_size", SIZE,
               "Largest total payload of one batch (default: half the indexing memory, at most 10 GiB)."),
    OptionSpec("experimental_reduce_indexing_memory_usage", BOOL, "Trade indexing speed for memory."),
    OptionSpec("experimental_search_queue_size", COUNT, "Searches waiting before 503 `too_many_search_requests`."),
    OptionSpec("experimental_nb_searches_per_core", POSITIVE, "Concurrent searches per CPU core."),
    OptionSpec("experimental_drop_search_after", POSITIVE, "Seconds after which a queued search is dropped."),
    OptionSpec("experimental_embedding_cache_entries", COUNT, "Per-embedder cache of query embeddings (0 = off)."),
    OptionSpec("experimental_no_edition_2024_for_settings", BOOL, "Use the legacy settings indexer."),
    OptionSpec("experimental_allowed_ip_networks", NETWORKS,
               "Comma-separated CIDRs outgoing requests may reach (private addresses are blocked otherwise)."),
    OptionSpec("experimental_personalization_api_key", TEXT, "API key enabling search personalization."),
    # §5: instance-level experimental switches
    OptionSpec("experimental_enable_metrics", BOOL, "Turn the `metrics` feature on (`GET /metrics`)."),
    OptionSpec("experimental_enable_logs_route", BOOL, "Turn the `logsRoute` feature on."),
    OptionSpec("experimental_contains_filter", BOOL, "Turn the `containsFilter` feature on."),
    OptionSpec("experimental_legacy_search_default", BOOL, "Use the legacy search pipeline by default.",
               env_var="MEILI_EXPERIMENTAL_LEGACY_SEARCH"),
    OptionSpec("upgrade_db", BOOL, "Allow upgrading a database created by an older version in place."),
)
OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}
TOML_KEYS = tuple(option.name for option in OPTIONS if option.in_toml)


# --- the configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """Everything a Loupe instance was started with; attribute names are the TOML keys.

    `load_config` returns absolute paths (resolved against the working directory) and fills
    ``warnings`` with what the operator should read at startup (e.g. no master key).
    Secrets are kept out of ``repr`` so the config can be logged.
    """

    # §2 core
    db_path: Path = Path("./data.ms")
    http_addr: str = "localhost:7700"
    master_key: str | None = field(default=None, repr=False)
    env: str = "development"
    no_analytics: bool = False
    http_payload_size_limit: int = 100_000_000
    http_workers: int | None = None
    log_level: str = "INFO"
    experimental_logs_mode: str = "human"
    task_webhook_url: str | None = None
    task_webhook_authorization_header: str | None = field(default=None, repr=False)
    #: True turns the browser search preview at `/` off (production never serves it).
    no_search_preview: bool = False
    #: The configuration file actually read, if any.
    config_file_path: Path | None = None
    # §2.2 TLS
    ssl_cert_path: Path | None = None
    ssl_key_path: Path | None = None
    ssl_auth_path: Path | None = None
    ssl_ocsp_path: Path | None = None
    ssl_require_auth: bool = False
    ssl_resumption: bool = False
    ssl_tickets: bool = False
    # §3 dumps and snapshots
    dump_dir: Path = Path("dumps/")
    import_dump: Path | None = None
    ignore_missing_dump: bool = False
    ignore_dump_if_db_exists: bool = False
    snapshot_dir: Path = Path("snapshots/")
    #: Seconds between scheduled snapshots; None = disabled.
    schedule_snapshot: int | None = None
    import_snapshot: Path | None = None
    ignore_missing_snapshot: bool = False
    ignore_snapshot_if_db_exists: bool = False
    # §4 resources
    #: Bytes; None when the machine's memory cannot be measured (no budget).
    max_indexing_memory: int | None = field(default_factory=default_max_indexing_memory)
    max_indexing_threads: int = field(default_factory=default_max_indexing_threads)
    #: None = unlimited.
    experimental_max_number_of_batched_tasks: int | None = None
    #: Bytes; derived from max_indexing_memory when not given.
    experimental_limit_batched_tasks_total_size: int | None = None
    experimental_reduce_indexing_memory_usage: bool = False
    experimental_search_queue_size: int = 1000
    experimental_nb_searches_per_core: int = 4
    experimental_drop_search_after: int = 60
    experimental_embedding_cache_entries: int = 0
    experimental_no_edition_2024_for_settings: bool = False
    #: None = not set (private/internal addresses blocked for outgoing requests).
    experimental_allowed_ip_networks: tuple[IPNetwork, ...] | None = None
    experimental_personalization_api_key: str | None = field(default=None, repr=False)
    # §5 instance switches
    experimental_enable_metrics: bool = False
    experimental_enable_logs_route: bool = False
    experimental_contains_filter: bool = False
    experimental_legacy_search_default: bool = False
    upgrade_db: bool = False
    # not an option: startup warnings for the operator, in order
    warnings: list[str] = field(default_factory=list, compare=False)

    def __post_init__(self) -> None:
        if self.experimental_limit_batched_tasks_total_size is None:
            memory = self.max_indexing_memory
            derived = BATCHED_TASKS_TOTAL_SIZE_CAP if memory is None else min(memory // 2, BATCHED_TASKS_TOTAL_SIZE_CAP)
            object.__setattr__(self, "experimental_limit_batched_tasks_total_size", derived)

    @property
    def host(self) -> str:
        return split_http_addr(self.http_addr)[0]

    @property
    def port(self) -> int:
        return split_http_addr(self.http_addr)[1]

    @property
    def tls_enabled(self) -> bool:
        return self.ssl_cert_path is not None and self.ssl_key_path is not None

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def serves_search_preview(self) -> bool:
        """The preview page is a development aid, like Meilisearch's mini-dashboard: never in production."""
        return not self.is_production and not self.no_search_preview

    def instance_features(self) -> dict[str, bool]:
        """Runtime features forced on at startup, keyed as `/experimental-features` names them."""
        return {
            "metrics": self.experimental_enable_metrics,
            "logsRoute": self.experimental_enable_logs_route,
            "containsFilter": self.experimental_contains_filter,
            "legacySearch": self.experimental_legacy_search_default,
        }


CONFIG_FIELDS = tuple(f.name for f in fields(Config) if f.name != "warnings")
assert CONFIG_FIELDS == tuple(o.name for o in OPTIONS), "OPTIONS and Config must list the same options"


def read_toml_file(path: Path) -> dict[str, Any]:
    """Parse a TOML config file; OSError when it cannot be read, ConfigError when it is invalid."""
    data = path.read_bytes()
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f'unable to parse the "{path}" configuration file: {error}.') from None
