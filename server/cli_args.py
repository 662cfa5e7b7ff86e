"""From command line, ``MEILI_*`` environment and config file to one `Config`.

Each option takes its value from the highest source that has one (cli-config.md §1)::

    --db-path ./x            1. flag
    MEILI_DB_PATH=./x        2. environment variable
    db_path = "./x"          3. config file: --config-file-path, MEILI_CONFIG_FILE_PATH,
                                else ./config.toml if it exists
    db_path = "./data.ms"    4. settings/config.toml in a source checkout, else `Config` defaults

Meilisearch gets this order by copying file values into unset environment variables and parsing
the command line again; we pick the winning source per option and parse its value once, which
gives the same result without touching ``os.environ``.  Then come the cross-option rules
(`--ignore-missing-dump` needs `--import-dump`, …) and the master-key rule of `--env`.

    >>> load_config(["--master-key", "masterKey", "--no-analytics"], {}, Path("/srv")).db_path
    PosixPath('/srv/data.ms')

Every refusal is a `ConfigError`; `--help` and `--version` print and raise `SystemExit(0)` as
argparse does.  The caller (server/cli.py) prints the error and exits with ``error.exit_code``.
"""
from __future__ import annotations

import argparse
import json
import os
from dataclasses import MISSING
from pathlib import Path
from typing import Any, Mapping, Sequence

from .config import (
    BOOL,
    DEFAULT_SNAPSHOT_INTERVAL_SEC,
    DEFAULTS_FILE,
    MASTER_KEY_MIN_SIZE,
    NETWORKS,
    OPTIONS,
    PATH,
    SCHEDULE,
    SIZE,
    THREADS,
    TOML_KEYS,
    Config,
    ConfigError,
    OptionSpec,
    format_size_limit,
    generate_master_key,
    read_toml_file,
)

__all__ = ["ConfigError", "build_parser", "load_config", "loupe_version"]

FALLBACK_VERSION = "0.1.0"
DEFAULT_CONFIG_FILE = "config.toml"
CONFIG_FILE_ENV = "MEILI_CONFIG_FILE_PATH"
USAGE_ERROR = 2  # clap's exit code for command-line mistakes

_UNSET = object()
# Kinds whose parser gives an empty environment value a meaning; for the others an empty
# variable counts as unset (so `MEILI_MASTER_KEY=` in a compose file does not set an empty key).
_EMPTY_ENV_MEANINGFUL = (BOOL, THREADS, SCHEDULE)
_TOML_TYPE_NAMES = {str: "a string", int: "an integer", bool: "a boolean", list: "an array"}
# Names of the other TOML value types, for "found ..." in type errors.
_OTHER_TOML_TYPE_NAMES = {float: "a float", dict: "a table"}


def loupe_version() -> str:
    """``engine.__version__`` when the engine declares one, else the package version."""
    try:
        import engine
    except ImportError:  # pragma: no cover - engine ships with server
        return FALLBACK_VERSION
    return str(getattr(engine, "__version__", None) or FALLBACK_VERSION)


# --- command line -------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that raises `ConfigError` instead of printing and exiting on a usage error."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise ConfigError(
            f"{message}\n\n{self.format_usage().strip()}\n\nFor more information, try '--help'.",
            exit_code=USAGE_ERROR,
        )


def _help_text(option: OptionSpec) -> str:
    default = Config.__dataclass_fields__[option.name].default
    text = f"{option.help} [env: {option.env}]"
    if default is not None and default is not MISSING and not isinstance(default, bool):
        text += f" [default: {format_size_limit(default) if option.kind is SIZE else default}]"
    return text.replace("%", "%%")


def build_parser() -> argparse.ArgumentParser:
    """The `loupe` argument parser: one flag per row of `OPTIONS`, Meilisearch's names."""
    parser = _Parser(
        prog="loupe",
        usage="%(prog)s [OPTIONS]",  # the full list is in --help, not in every error
        description="Loupe: a search engine speaking the Meilisearch HTTP API.",
        allow_abbrev=False,  # clap does not accept abbreviated flags either
        argument_default=argparse.SUPPRESS,  # absent flags stay absent: lower sources apply
    )
    parser.add_argument("-V", "--version", action="version", version=f"loupe {loupe_version()}")
    for option in OPTIONS:
        common = {"dest": option.name, "help": _help_text(option), "default": argparse.SUPPRESS}
        if option.kind is BOOL:
            parser.add_argument(option.flag, action="store_true", **common)
        elif option.kind is SCHEDULE:
            parser.add_argument(option.flag, nargs="?", const=str(DEFAULT_SNAPSHOT_INTERVAL_SEC),
                                metavar=option.metavar, **common)
        else:
            parser.add_argument(option.flag, metavar=option.metavar, **common)
    return parser


# --- reading one source -------------------------------------------------------------------------


def _from_text(option: OptionSpec, text: str, env_var: str | None = None) -> Any:
    """Parse a flag or environment value; errors are worded like clap's."""
    try:
        return option.kind.parse(text)
    except ValueError as reason:
        origin = f" (set by {env_var})" if env_var else ""
        raise ConfigError(
            f"invalid value '{text}' for '{option.flag} <{option.metavar}>'{origin}: {reason}",
            exit_code=USAGE_ERROR,
        ) from None


def _toml_repr(value: Any) -> str:
    return json.dumps(value, default=str)


def _toml_type_name(value: Any) -> str:
    """"a boolean", "an integer", "a table", … (bool is tested before its parent class int)."""
    for types in (_OTHER_TOML_TYPE_NAMES, dict(reversed(_TOML_TYPE_NAMES.items()))):
        for python_type, name in types.items():
            if isinstance(value, python_type):
                return name
    return "a date or time"


def _from_toml(option: OptionSpec, value: Any, path: Path) -> Any:
    """Check a config-file value's TOML type, then parse it like the same text on the command line."""
    try:
        return _parse_toml_value(option, value)
    except ValueError as reason:
        raise ConfigError(
            f'invalid value {_toml_repr(value)} for `{option.name}` in the "{path}" configuration file: {reason}'
        ) from None


def _parse_toml_value(option: OptionSpec, value: Any) -> Any:
    kind = option.kind
    type_ok = isinstance(value, kind.toml_types) and not (isinstance(value, bool) and bool not in kind.toml_types)
    if not type_ok:
        expected = " or ".join(_TOML_TYPE_NAMES[t] for t in kind.toml_types)
        raise ValueError(f"expected {expected}, found {_toml_type_name(value)}")
    if kind is BOOL:
        return value
    if kind is SCHEDULE and isinstance(value, bool):
        return DEFAULT_SNAPSHOT_INTERVAL_SEC if value else None
    if kind is NETWORKS and isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise ValueError("expected an array of strings")
        return kind.parse(",".join(value))
    if isinstance(value, int):
        if kind is SIZE:
            return kind.parse(value)
        if value < 0:
            raise ValueError("expected a non-negative integer")
        return kind.parse(str(value))
    return kind.parse(value)


def _read_config_file(flags: Mapping[str, Any], environ: Mapping[str, str], cwd: Path) -> tuple[Path | None, dict]:
    """The user's config file: explicit (must be readable) or ./config.toml (skipped if absent)."""
    explicit = flags.get("config_file_path") or environ.get(CONFIG_FILE_ENV) or None
    path = Path(os.path.normpath(cwd / (explicit or DEFAULT_CONFIG_FILE)))
    try:
        values = read_toml_file(path)
    except OSError as error:
        if explicit is None:
            return None, {}
        raise ConfigError(
            f'unable to open or read the "{explicit}" configuration file: {error.strerror or error}.'
        ) from None
    _check_keys(values, path)
    return path, values


def _read_defaults_file(path: Path | None) -> dict:
    if path is None:
        return {}
    values = read_toml_file(path)
    _check_keys(values, path)
    return values


def _check_keys(values: Mapping[str, Any], path: Path) -> None:
    if "config_file_path" in values:
        raise ConfigError("`config_file_path` is not supported in the configuration file")
    for key in values:
        if key not in TOML_KEYS:
            expected = ", ".join(f"`{name}`" for name in TOML_KEYS)
            raise ConfigError(f'unknown field `{key}` in the "{path}" configuration file, expected one of {expected}')


def _pick(option: OptionSpec, flags: Mapping[str, Any], environ: Mapping[str, str],
          layers: Sequence[tuple[Path | None, Mapping[str, Any]]]) -> Any:
    """The option's value from the highest source that sets it, or `_UNSET`."""
    if option.name in flags:
        raw = flags[option.name]
        return True if option.kind is BOOL else _from_text(option, raw)
    text = environ.get(option.env)
    if text is not None and (text != "" or option.kind in _EMPTY_ENV_MEANINGFUL):
        return _from_text(option, text, option.env)
    for path, values in layers:
        if option.name in values:
            assert path is not None
            return _from_toml(option, values[option.name], path)
    return _UNSET


# --- cross-option rules -------------------------------------------------------------------------


def _flag(name: str) -> str:
    option = next(o for o in OPTIONS if o.name == name)
    return f"{option.flag} <{option.metavar}>" if option.takes_value else option.flag


def _check_companions(values: Mapping[str, Any]) -> None:
    """clap's `requires` / `conflicts_with` rules of the dump and snapshot options."""
    for needed, dependents in (
        ("import_dump", ("ignore_missing_dump", "ignore_dump_if_db_exists")),
        ("import_snapshot", ("ignore_missing_snapshot", "ignore_snapshot_if_db_exists")),
    ):
        for dependent in dependents:
            if values.get(dependent) and values.get(needed) is None:
                raise ConfigError(
                    f"the following required arguments were not provided:\n  {_flag(needed)}\n"
                    f"({_flag(dependent)} requires it)",
                    exit_code=USAGE_ERROR,
                )
    if values.get("import_dump") is not None and values.get("import_snapshot") is not None:
        raise ConfigError(
            f"the argument '{_flag('import_dump')}' cannot be used with '{_flag('import_snapshot')}'",
            exit_code=USAGE_ERROR,
        )


def generated_master_key_message() -> str:
    return (
        "We generated a new secure master key for you (you can safely use this token):\n\n"
        f">> --master-key {generate_master_key()} <<"
    )


def _check_master_key(config: Config) -> None:
    """Production refuses a missing or short master key; development only warns (§2.1)."""
    key = config.master_key
    size = None if key is None else len(key.encode("utf-8"))
    if config.is_production:
        if size is None:
            raise ConfigError(
                "You must provide a master key to secure your instance in a production environment. "
                "It can be specified via the MEILI_MASTER_KEY environment variable or the --master-key "
                f"launch option.\n\n{generated_master_key_message()}"
            )
        if size < MASTER_KEY_MIN_SIZE:
            raise ConfigError(
                f"The master key must be at least {MASTER_KEY_MIN_SIZE} bytes in a production environment. "
                f"The provided key is only {size} bytes.\n\n{generated_master_key_message()}"
            )
        return
    restart = "Restart Loupe with the argument above to use this new and secure master key."
    required = (f"A master key of at least {MASTER_KEY_MIN_SIZE} bytes will be required "
                "when switching to a production environment.")
    if size is None:
        config.warnings.append(
            f"No master key was found. The server will accept unidentified requests.\n\n{required}"
            f"\n\n{generated_master_key_message()}\n\n{restart}"
        )
    elif size < MASTER_KEY_MIN_SIZE:
        config.warnings.append(
            "Loupe started with a master key considered unsafe for use in a production environment."
            f"\n\n{required}\n\n{generated_master_key_message()}\n\n{restart}"
        )


# --- entry point --------------------------------------------------------------------------------


def load_config(argv: Sequence[str], environ: Mapping[str, str], cwd: Path,
                *, defaults_file: Path | None = DEFAULTS_FILE) -> Config:
    """Build the `Config` for ``loupe <argv>`` started in ``cwd`` with ``environ``.

    ``argv`` excludes the program name.  ``defaults_file`` is the lowest layer (our documented
    settings/config.toml when running from a checkout).  Raises `ConfigError` on any refusal.
    """
    cwd = Path(os.path.abspath(cwd))
    flags = vars(build_parser().parse_args(list(argv)))
    file_path, file_values = _read_config_file(flags, environ, cwd)
    layers = [(file_path, file_values), (defaults_file, _read_defaults_file(defaults_file))]

    values: dict[str, Any] = {}
    for option in OPTIONS:
        if option.name == "config_file_path":
            continue
        value = _pick(option, flags, environ, layers)
        if value is _UNSET:
            continue
        if value is None and Config.__dataclass_fields__[option.name].default is not None:
            continue  # e.g. `--max-indexing-threads unlimited`: "use the default"
        if option.kind is PATH and value is not None:
            value = Path(os.path.normpath(cwd / value))
        values[option.name] = value

    for option in OPTIONS:  # relative default paths resolve against cwd too
        if option.kind is PATH and option.name not in values and option.name != "config_file_path":
            default = Config.__dataclass_fields__[option.name].default
            if isinstance(default, Path):
                values[option.name] = Path(os.path.normpath(cwd / default))

    _check_companions(values)
    config = Config(config_file_path=file_path, **values)
    _check_master_key(config)
    return config
