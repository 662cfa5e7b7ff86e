"""Command line, environment and config file -> Config (cli-config.md).

Properties proved here:
 1. With nothing set, the defaults are Meilisearch's: `localhost:7700`, `./data.ms` (resolved
    against the working directory), `dumps/`, `snapshots/`, 100 MB payloads, development, INFO.
 2. Precedence is flag > MEILI_* variable > config file > settings/config.toml > built-in default,
    for values and for booleans.
 3. Every option has a flag `--a-b` and a variable `MEILI_A_B` derived from its key `a_b`
    (one documented exception: MEILI_EXPERIMENTAL_LEGACY_SEARCH), and the Config has a field
    for each.
 4. In the environment a boolean is false only for a falsy word (false/0/no/off/f/n/empty).
 5. Sizes accept plain bytes and decimal or binary units, case-insensitively; bad sizes are
    refused with the reason.
 6. The payload-limit text is the shortest exact spelling ("100 MB", "10 MiB").
 7. `--schedule-snapshot` alone means 86400 s; it also takes seconds; in TOML false/true/int.
 8. Unknown or abbreviated flags are usage errors (exit code 2).
 9. The config file: explicit path must be readable, ./config.toml is optional, unknown keys,
    `config_file_path` inside it and wrong TOML types abort startup.
10. `--env` accepts only development|production.
11. Production refuses a missing or shorter-than-16-bytes master key and proposes a generated
    one; development starts with a warning instead.
12. The `--ignore-*` options require their import option; dump and snapshot imports conflict.
13. Log level is case-insensitive among six values; logs mode is human|json.
14. Other values are checked: http addr, webhook URL, thread counts, positive integers, CIDRs.
15. --help and --version print and exit 0; the version is "loupe <version>".
16. settings/config.toml documents every option and its active values equal the defaults.
17. Secrets never appear in the Config's repr.
"""
from __future__ import annotations

import base64
import os
import re
import tomllib
from pathlib import Path

import pytest

from server import config as config_module
from server.cli_args import build_parser, load_config
from server.config import (
    OPTIONS,
    TOML_KEYS,
    Config,
    ConfigError,
    format_size_limit,
    generate_master_key,
    parse_size,
)

GOOD_KEY = "a-master-key-of-more-than-16-bytes"
KEY_RE = re.compile(r">> --master-key ([A-Za-z0-9_-]{43}) <<")


def load(argv=(), env=None, cwd: Path | None = None, defaults_file=None) -> Config:
    """load_config in a fresh directory, without our settings/ layer unless asked."""
    return load_config(list(argv), env or {}, cwd or Path("/nonexistent-cwd"), defaults_file=defaults_file)


def refusal(argv=(), env=None, cwd=None, defaults_file=None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(argv, env, cwd, defaults_file)
    return caught.value


# 1. defaults ------------------------------------------------------------------------------------

def test_defaults(tmp_path):
    config = load(cwd=tmp_path)
    assert config.http_addr == "localhost:7700"
    assert (config.host, config.port) == ("localhost", 7700)
    assert config.db_path == tmp_path / "data.ms"
    assert config.dump_dir == tmp_path / "dumps"
    assert config.snapshot_dir == tmp_path / "snapshots"
    assert config.http_payload_size_limit == 100_000_000
    assert config.env == "development"
    assert config.log_level == "INFO"
    assert config.experimental_logs_mode == "human"
    assert config.master_key is None
    assert config.schedule_snapshot is None
    assert config.no_analytics is False
    assert config.config_file_path is None
    assert config.experimental_search_queue_size == 1000
    assert config.experimental_nb_searches_per_core == 4
    assert config.experimental_drop_search_after == 60
    assert config.experimental_embedding_cache_entries == 0
    assert config.experimental_max_number_of_batched_tasks is None
    assert config.experimental_allowed_ip_networks is None
    assert config.tls_enabled is False
    assert config.instance_features() == {
        "metrics": False, "logsRoute": False, "containsFilter": False, "legacySearch": False,
    }


def test_derived_resource_defaults():
    assert Config(max_indexing_memory=4 * 1024**3).experimental_limit_batched_tasks_total_size == 2 * 1024**3
    assert Config(max_indexing_memory=64 * 1024**3).experimental_limit_batched_tasks_total_size == 10 * 1024**3
    assert Config(max_indexing_memory=None).experimental_limit_batched_tasks_total_size == 10 * 1024**3
    given = Config(max_indexing_memory=4 * 1024**3, experimental_limit_batched_tasks_total_size=5)
    assert given.experimental_limit_batched_tasks_total_size == 5
    assert Config().max_indexing_threads >= 1


# 2. precedence ----------------------------------------------------------------------------------

def test_flag_beats_env_beats_file_beats_defaults_file_beats_default(tmp_path):
    (tmp_path / "config.toml").write_text('db_path = "file.ms"\nhttp_addr = "file:1"\nlog_level = "warn"\n')
    defaults = tmp_path / "defaults.toml"
    defaults.write_text('db_path = "defaults.ms"\nhttp_addr = "defaults:2"\nlog_level = "error"\n'
                        'dump_dir = "defaults-dumps/"\n')
    env = {"MEILI_DB_PATH": "env.ms", "MEILI_HTTP_ADDR": "env:3"}
    config = load(["--db-path", "flag.ms"], env, tmp_path, defaults)
    assert config.db_path == tmp_path / "flag.ms"
    assert config.http_addr == "env:3"
    assert config.log_level == "WARN"
    assert config.dump_dir == tmp_path / "defaults-dumps"
    assert config.snapshot_dir == tmp_path / "snapshots"  # built-in default
    assert config.config_file_path == tmp_path / "config.toml"


def test_precedence_of_booleans(tmp_path):
    (tmp_path / "config.toml").write_text("no_analytics = true\n")
    assert load(cwd=tmp_path).no_analytics is True
    assert load(env={"MEILI_NO_ANALYTICS": "false"}, cwd=tmp_path).no_analytics is False
    assert load(["--no-analytics"], {"MEILI_NO_ANALYTICS": "false"}, tmp_path).no_analytics is True


def test_flag_with_equals_sign(tmp_path):
    config = load(["--master-key=masterKey", "--http-addr=0.0.0.0:7701"], cwd=tmp_path)
    assert (config.master_key, config.host, config.port) == ("masterKey", "0.0.0.0", 7701)


def test_empty_env_value_counts_as_unset_for_values(tmp_path):
    config = load(env={"MEILI_MASTER_KEY": "", "MEILI_DB_PATH": ""}, cwd=tmp_path)
    assert config.master_key is None
    assert config.db_path == tmp_path / "data.ms"


# 3. names ---------------------------------------------------------------------------------------

def test_every_option_has_derived_flag_env_and_field():
    parser_flags = {flag for action in build_parser()._actions for flag in action.option_strings}
    for option in OPTIONS:
        assert option.flag == "--" + option.name.replace("_", "-")
        assert option.flag in parser_flags
        assert option.name in Config.__dataclass_fields__
        expected_env = "MEILI_" + option.name.upper()
        if option.name == "experimental_legacy_search_default":
            expected_env = "MEILI_EXPERIMENTAL_LEGACY_SEARCH"
        assert option.env == expected_env
    assert config_module.CONFIG_FIELDS == tuple(o.name for o in OPTIONS)
    assert "config_file_path" not in TOML_KEYS


def test_sdk_ci_command_line_is_accepted(tmp_path):
    config = load(["--no-analytics", "--master-key=masterKey"], cwd=tmp_path)
    assert (config.no_analytics, config.master_key, config.env) == (True, "masterKey", "development")


@pytest.mark.parametrize("flag,env,attr", [
    ("--experimental-enable-metrics", "MEILI_EXPERIMENTAL_ENABLE_METRICS", "experimental_enable_metrics"),
    ("--experimental-legacy-search-default", "MEILI_EXPERIMENTAL_LEGACY_SEARCH", "experimental_legacy_search_default"),
    ("--upgrade-db", "MEILI_UPGRADE_DB", "upgrade_db"),
    ("--ssl-tickets", "MEILI_SSL_TICKETS", "ssl_tickets"),
])
def test_boolean_switch_by_flag_and_by_env(tmp_path, flag, env, attr):
    assert getattr(load([flag], cwd=tmp_path), attr) is True
    assert getattr(load(env={env: "true"}, cwd=tmp_path), attr) is True
    assert getattr(load(cwd=tmp_path), attr) is False


# 4. booleans in the environment ----------------------------------------------------------------

@pytest.mark.parametrize("text", ["false", "FALSE", "0", "no", "off", "f", "n", "", " Off "])
def test_falsy_env_words(tmp_path, text):
    assert load(env={"MEILI_NO_ANALYTICS": text}, cwd=tmp_path).no_analytics is False


@pytest.mark.parametrize("text", ["true", "1", "yes", "on", "y", "anything"])
def test_other_env_words_are_true(tmp_path, text):
    assert load(env={"MEILI_NO_ANALYTICS": text}, cwd=tmp_path).no_analytics is True


def test_toml_boolean_must_be_a_boolean(tmp_path):
    (tmp_path / "config.toml").write_text('no_analytics = "yes"\n')
    assert refusal(cwd=tmp_path).message == (
        f'invalid value "yes" for `no_analytics` in the "{tmp_path / "config.toml"}" configuration file: '
        "expected a boolean, found a string"
    )


# 5. sizes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,size", [
    ("107374182400", 107_374_182_400),
    ("100 MB", 100_000_000),
    ("100mb", 100_000_000),
    ("10MiB", 10_485_760),
    ("10 mib", 10_485_760),
    ("107.7Gb", 107_700_000_000),
    ("107374 Mb", 107_374_000_000),
    ("1.5 KiB", 1536),
    ("2 GiB", 2 * 1024**3),
    ("1k", 1000),
    ("3Ki", 3072),
    ("42 B", 42),
    ("1 TB", 10**12),
    (512, 512),
])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text,reason", [
    ("ten MB", "expected a number of bytes, optionally followed by a unit "
               "(for instance: 107374182400, '107.7Gb', '100 MB' or '10MiB')"),
    ("-5", "expected a number of bytes, optionally followed by a unit "
           "(for instance: 107374182400, '107.7Gb', '100 MB' or '10MiB')"),
    ("10 XB", "unknown unit `XB`; use B, KB, MB, GB, TB, PB, EB or KiB, MiB, GiB, TiB, PiB, EiB"),
    ("100000 EB", "the size is too large"),
])
def test_parse_size_refusals(text, reason):
    with pytest.raises(ValueError) as caught:
        parse_size(text)
    assert str(caught.value) == reason


def test_size_options_from_each_source(tmp_path):
    assert load(["--http-payload-size-limit", "10MiB"], cwd=tmp_path).http_payload_size_limit == 10_485_760
    assert load(env={"MEILI_MAX_INDEXING_MEMORY": "2 GiB"}, cwd=tmp_path).max_indexing_memory == 2 * 1024**3
    (tmp_path / "config.toml").write_text("http_payload_size_limit = 1048576\n")
    assert load(cwd=tmp_path).http_payload_size_limit == 1_048_576


def test_bad_size_flag_message(tmp_path):
    error = refusal(["--http-payload-size-limit", "lots"], cwd=tmp_path)
    assert error.exit_code == 2
    assert error.message == (
        "invalid value 'lots' for '--http-payload-size-limit <HTTP_PAYLOAD_SIZE_LIMIT>': expected a number "
        "of bytes, optionally followed by a unit (for instance: 107374182400, '107.7Gb', '100 MB' or '10MiB')"
    )


# 6. payload limit text --------------------------------------------------------------------------

@pytest.mark.parametrize("size,text", [
    (100_000_000, "100 MB"),
    (10_485_760, "10 MiB"),
    (2_000_000_000, "2 GB"),
    (1024, "1 KiB"),
    (1_024_000, "1000 KiB"),
    (1500, "1500 B"),
    (1, "1 B"),
    (0, "0 B"),
    (10**12, "1 TB"),
])
def test_format_size_limit(size, text):
    assert format_size_limit(size) == text


# 7. schedule-snapshot --------------------------------------------------------------------------

@pytest.mark.parametrize("argv,interval", [
    ([], None),
    (["--schedule-snapshot"], 86_400),
    (["--schedule-snapshot", "3600"], 3600),
    (["--schedule-snapshot=60"], 60),
    (["--schedule-snapshot", "--no-analytics"], 86_400),
])
def test_schedule_snapshot_flag(tmp_path, argv, interval):
    assert load(argv, cwd=tmp_path).schedule_snapshot == interval


@pytest.mark.parametrize("toml,interval", [("false", None), ("true", 86_400), ("7200", 7200)])
def test_schedule_snapshot_toml(tmp_path, toml, interval):
    (tmp_path / "config.toml").write_text(f"schedule_snapshot = {toml}\n")
    assert load(cwd=tmp_path).schedule_snapshot == interval


def test_schedule_snapshot_env(tmp_path):
    assert load(env={"MEILI_SCHEDULE_SNAPSHOT": "120"}, cwd=tmp_path).schedule_snapshot == 120
    (tmp_path / "config.toml").write_text("schedule_snapshot = true\n")
    assert load(env={"MEILI_SCHEDULE_SNAPSHOT": ""}, cwd=tmp_path).schedule_snapshot is None


def test_schedule_snapshot_refusals(tmp_path):
    assert refusal(["--schedule-snapshot", "0"], cwd=tmp_path).message == (
        "invalid value '0' for '--schedule-snapshot <SNAPSHOT_INTERVAL_SEC>': expected a positive integer, found 0"
    )
    (tmp_path / "config.toml").write_text('schedule_snapshot = "daily"\n')
    assert refusal(cwd=tmp_path).message == (
        f'invalid value "daily" for `schedule_snapshot` in the "{tmp_path / "config.toml"}" configuration '
        "file: expected a boolean or an integer, found a string"
    )


# 8. unknown flags -------------------------------------------------------------------------------

def test_unknown_flag(tmp_path):
    error = refusal(["--master-key", "k", "--frobnicate"], cwd=tmp_path)
    assert error.exit_code == 2
    assert error.message == (
        "unrecognized arguments: --frobnicate\n\nusage: loupe [OPTIONS]\n\nFor more information, try '--help'."
    )


def test_abbreviated_flag_is_unknown(tmp_path):
    assert refusal(["--db", "x"], cwd=tmp_path).message.startswith("unrecognized arguments: --db x")


def test_value_flag_without_value(tmp_path):
    error = refusal(["--db-path"], cwd=tmp_path)
    assert error.exit_code == 2
    assert error.message.startswith("argument --db-path: expected one argument")


# 9. config file ---------------------------------------------------------------------------------

def test_explicit_config_file_by_flag_and_env(tmp_path):
    (tmp_path / "custom.toml").write_text('http_addr = "0.0.0.0:8000"\n')
    by_flag = load(["--config-file-path", "custom.toml"], cwd=tmp_path)
    by_env = load(env={"MEILI_CONFIG_FILE_PATH": str(tmp_path / "custom.toml")}, cwd=tmp_path)
    assert by_flag.http_addr == by_env.http_addr == "0.0.0.0:8000"
    assert by_flag.config_file_path == by_env.config_file_path == tmp_path / "custom.toml"


def test_explicit_config_file_missing_aborts(tmp_path):
    error = refusal(["--config-file-path", "missing.toml"], cwd=tmp_path)
    assert error.exit_code == 1
    assert error.message == 'unable to open or read the "missing.toml" configuration file: No such file or directory.'


def test_explicit_config_file_wins_over_implicit(tmp_path):
    (tmp_path / "config.toml").write_text('http_addr = "implicit:1"\n')
    (tmp_path / "other.toml").write_text('db_path = "other.ms"\n')
    config = load(env={"MEILI_CONFIG_FILE_PATH": "other.toml"}, cwd=tmp_path)
    assert (config.http_addr, config.db_path) == ("localhost:7700", tmp_path / "other.ms")


def test_implicit_config_file_is_optional(tmp_path):
    assert load(cwd=tmp_path).config_file_path is None


def test_unknown_toml_key_aborts(tmp_path):
    (tmp_path / "config.toml").write_text('db_path = "x"\nmax_index_size = "1 GB"\n')
    error = refusal(cwd=tmp_path)
    assert error.message.startswith(
        f'unknown field `max_index_size` in the "{tmp_path / "config.toml"}" configuration file, '
        "expected one of `db_path`, `http_addr`, `master_key`, "
    )
    assert "`config_file_path`" not in error.message


def test_config_file_path_key_in_file_aborts(tmp_path):
    (tmp_path / "config.toml").write_text('config_file_path = "./config.toml"\n')
    assert refusal(cwd=tmp_path).message == "`config_file_path` is not supported in the configuration file"


def test_invalid_toml_aborts(tmp_path):
    (tmp_path / "config.toml").write_text("db_path = \n")
    message = refusal(cwd=tmp_path).message
    assert message.startswith(f'unable to parse the "{tmp_path / "config.toml"}" configuration file: ')


@pytest.mark.parametrize("line,shown,reason", [
    ("http_addr = 7700", "7700", "expected a string, found an integer"),
    ("http_payload_size_limit = 1.5", "1.5", "expected a string or an integer, found a float"),
    ("db_path = { a = 1 }", '{"a": 1}', "expected a string, found a table"),
    ("experimental_search_queue_size = true", "true", "expected an integer, found a boolean"),
])
def test_wrong_toml_type(tmp_path, line, shown, reason):
    (tmp_path / "config.toml").write_text(line + "\n")
    key = line.split(" ")[0]
    assert refusal(cwd=tmp_path).message == (
        f'invalid value {shown} for `{key}` in the "{tmp_path / "config.toml"}" configuration file: {reason}'
    )


def test_invalid_value_in_our_defaults_file_is_reported(tmp_path):
    defaults = tmp_path / "defaults.toml"
    defaults.write_text("surprise = 1\n")
    assert refusal(cwd=tmp_path, defaults_file=defaults).message.startswith(
        f'unknown field `surprise` in the "{defaults}" configuration file'
    )


# 10. env ----------------------------------------------------------------------------------------

def test_env_must_be_development_or_production(tmp_path):
    error = refusal(["--env", "staging"], cwd=tmp_path)
    assert error.exit_code == 2
    assert error.message == (
        "invalid value 'staging' for '--env <ENV>': possible values are `development` and `production`"
    )
    assert refusal(env={"MEILI_ENV": "Production"}, cwd=tmp_path).message == (
        "invalid value 'Production' for '--env <ENV>' (set by MEILI_ENV): "
        "possible values are `development` and `production`"
    )


# 11. master key rules ---------------------------------------------------------------------------

def test_production_without_master_key_is_refused(tmp_path):
    error = refusal(["--env", "production"], cwd=tmp_path)
    assert error.exit_code == 1
    key = KEY_RE.search(error.message).group(1)
    assert error.message == (
        "You must provide a master key to secure your instance in a production environment. It can be "
        "specified via the MEILI_MASTER_KEY environment variable or the --master-key launch option.\n\n"
        "We generated a new secure master key for you (you can safely use this token):\n\n"
        f">> --master-key {key} <<"
    )


def test_production_with_short_master_key_is_refused(tmp_path):
    error = refusal(env={"MEILI_ENV": "production", "MEILI_MASTER_KEY": "ééééééé"}, cwd=tmp_path)  # 14 bytes
    key = KEY_RE.search(error.message).group(1)
    assert error.message == (
        "The master key must be at least 16 bytes in a production environment. The provided key is only "
        "14 bytes.\n\nWe generated a new secure master key for you (you can safely use this token):\n\n"
        f">> --master-key {key} <<"
    )


def test_production_with_16_byte_key_starts_without_warning(tmp_path):
    config = load(["--env", "production", "--master-key", "0123456789abcdef"], cwd=tmp_path)
    assert (config.is_production, config.warnings) == (True, [])


def test_development_without_master_key_warns(tmp_path):
    config = load(cwd=tmp_path)
    assert len(config.warnings) == 1
    key = KEY_RE.search(config.warnings[0]).group(1)
    assert config.warnings[0] == (
        "No master key was found. The server will accept unidentified requests.\n\n"
        "A master key of at least 16 bytes will be required when switching to a production environment.\n\n"
        "We generated a new secure master key for you (you can safely use this token):\n\n"
        f">> --master-key {key} <<\n\n"
        "Restart Loupe with the argument above to use this new and secure master key."
    )


def test_development_with_short_master_key_warns(tmp_path):
    config = load(["--master-key", "masterKey"], cwd=tmp_path)
    assert config.master_key == "masterKey"
    assert len(config.warnings) == 1
    assert config.warnings[0].startswith(
        "Loupe started with a master key considered unsafe for use in a production environment.\n\n"
        "A master key of at least 16 bytes will be required when switching to a production environment.\n\n"
    )
    assert KEY_RE.search(config.warnings[0])


def test_development_with_long_master_key_has_no_warning(tmp_path):
    assert load(["--master-key", GOOD_KEY], cwd=tmp_path).warnings == []


def test_generated_master_key_is_32_random_bytes_urlsafe_unpadded():
    key = generate_master_key()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)
    assert len(base64.urlsafe_b64decode(key + "=")) == 32
    assert generate_master_key() != key


# 12. companion options --------------------------------------------------------------------------

@pytest.mark.parametrize("dependent,needed", [
    ("--ignore-missing-dump", "--import-dump <IMPORT_DUMP>"),
    ("--ignore-dump-if-db-exists", "--import-dump <IMPORT_DUMP>"),
    ("--ignore-missing-snapshot", "--import-snapshot <IMPORT_SNAPSHOT>"),
    ("--ignore-snapshot-if-db-exists", "--import-snapshot <IMPORT_SNAPSHOT>"),
])
def test_ignore_options_require_their_import(tmp_path, dependent, needed):
    error = refusal([dependent], cwd=tmp_path)
    assert error.exit_code == 2
    assert error.message == (
        f"the following required arguments were not provided:\n  {needed}\n({dependent} requires it)"
    )


def test_ignore_options_with_their_import(tmp_path):
    config = load(["--import-dump", "x.dump", "--ignore-missing-dump", "--ignore-dump-if-db-exists"], cwd=tmp_path)
    assert config.import_dump == tmp_path / "x.dump"
    assert (config.ignore_missing_dump, config.ignore_dump_if_db_exists) == (True, True)
    assert load(env={"MEILI_IGNORE_MISSING_DUMP": "false"}, cwd=tmp_path).ignore_missing_dump is False


def test_import_dump_conflicts_with_import_snapshot(tmp_path):
    error = refusal(["--import-dump", "a.dump"], {"MEILI_IMPORT_SNAPSHOT": "b.snapshot"}, tmp_path)
    assert error.message == (
        "the argument '--import-dump <IMPORT_DUMP>' cannot be used with '--import-snapshot <IMPORT_SNAPSHOT>'"
    )


# 13. log level and mode -------------------------------------------------------------------------

@pytest.mark.parametrize("text,level", [("debug", "DEBUG"), ("Warn", "WARN"), ("OFF", "OFF"), ("trace", "TRACE")])
def test_log_level_is_case_insensitive(tmp_path, text, level):
    assert load(["--log-level", text], cwd=tmp_path).log_level == level


def test_invalid_log_level(tmp_path):
    assert refusal(["--log-level", "verbose"], cwd=tmp_path).message == (
        "invalid value 'verbose' for '--log-level <LOG_LEVEL>': Log level 'verbose' is invalid. "
        "Accepted values are 'OFF', 'ERROR', 'WARN', 'INFO', 'DEBUG', and 'TRACE'."
    )


def test_logs_mode(tmp_path):
    assert load(["--experimental-logs-mode", "JSON"], cwd=tmp_path).experimental_logs_mode == "json"
    assert refusal(["--experimental-logs-mode", "xml"], cwd=tmp_path).message == (
        "invalid value 'xml' for '--experimental-logs-mode <EXPERIMENTAL_LOGS_MODE>': "
        "Unsupported log mode level `xml`. Supported values are `HUMAN` and `JSON`."
    )


# 14. other values -------------------------------------------------------------------------------

def test_http_addr_forms(tmp_path):
    config = load(["--http-addr", "[::1]:7777"], cwd=tmp_path)
    assert (config.host, config.port) == ("::1", 7777)
    assert refusal(["--http-addr", "localhost"], cwd=tmp_path).message == (
        "invalid value 'localhost' for '--http-addr <HTTP_ADDR>': "
        "expected `host:port`, for instance `localhost:7700` or `0.0.0.0:7700`"
    )


def test_webhook_url(tmp_path):
    config = load(["--task-webhook-url", "https://example.com/hook",
                   "--task-webhook-authorization-header", "Bearer x"], cwd=tmp_path)
    assert (config.task_webhook_url, config.task_webhook_authorization_header) == ("https://example.com/hook", "Bearer x")
    assert refusal(["--task-webhook-url", "example.com/hook"], cwd=tmp_path).message == (
        "invalid value 'example.com/hook' for '--task-webhook-url <TASK_WEBHOOK_URL>': relative URL without a base"
    )


@pytest.mark.parametrize("text", ["unlimited", ""])
def test_max_indexing_threads_default_words(tmp_path, text):
    config = load(env={"MEILI_MAX_INDEXING_THREADS": text}, cwd=tmp_path)
    assert config.max_indexing_threads == config_module.default_max_indexing_threads()


def test_max_indexing_threads_value(tmp_path):
    assert load(["--max-indexing-threads", "3"], cwd=tmp_path).max_indexing_threads == 3
    (tmp_path / "config.toml").write_text("max_indexing_threads = 2\n")
    assert load(cwd=tmp_path).max_indexing_threads == 2


def test_http_workers(tmp_path):
    """Serving processes: --http-workers / MEILI_HTTP_WORKERS / http_workers; unset means one per core."""
    from server.cli import http_workers
    assert load(cwd=tmp_path).http_workers is None
    assert http_workers(load(cwd=tmp_path)) == len(os.sched_getaffinity(0))
    assert load(["--http-workers", "3"], cwd=tmp_path).http_workers == 3
    assert http_workers(load(env={"MEILI_HTTP_WORKERS": "1"}, cwd=tmp_path)) == 1
    (tmp_path / "config.toml").write_text("http_workers = 4\n")
    assert load(cwd=tmp_path).http_workers == 4
    assert refusal(["--http-workers", "0"], cwd=tmp_path).message == (
        "invalid value '0' for '--http-workers <HTTP_WORKERS>': expected a positive integer, found 0")


def test_positive_integers(tmp_path):
    assert load(["--experimental-nb-searches-per-core", "8"], cwd=tmp_path).experimental_nb_searches_per_core == 8
    assert refusal(["--experimental-drop-search-after", "0"], cwd=tmp_path).message == (
        "invalid value '0' for '--experimental-drop-search-after <EXPERIMENTAL_DROP_SEARCH_AFTER>': "
        "expected a positive integer, found 0"
    )
    assert refusal(["--experimental-search-queue-size", "ten"], cwd=tmp_path).message == (
        "invalid value 'ten' for '--experimental-search-queue-size <EXPERIMENTAL_SEARCH_QUEUE_SIZE>': "
        "expected a non-negative integer"
    )
    (tmp_path / "config.toml").write_text("experimental_max_number_of_batched_tasks = -1\n")
    assert refusal(cwd=tmp_path).message.endswith("configuration file: expected a non-negative integer")


def test_allowed_ip_networks(tmp_path):
    config = load(["--experimental-allowed-ip-networks", "10.0.0.0/8, 192.168.1.7/24"], cwd=tmp_path)
    assert [str(n) for n in config.experimental_allowed_ip_networks] == ["10.0.0.0/8", "192.168.1.0/24"]
    (tmp_path / "config.toml").write_text('experimental_allowed_ip_networks = ["::1/128"]\n')
    assert [str(n) for n in load(cwd=tmp_path).experimental_allowed_ip_networks] == ["::1/128"]
    for anything in ("any", "ANY"):  # every address, private ones included
        config = load(env={"MEILI_EXPERIMENTAL_ALLOWED_IP_NETWORKS": anything}, cwd=tmp_path)
        assert [str(n) for n in config.experimental_allowed_ip_networks] == ["0.0.0.0/0", "::/0"]
    assert refusal(env={"MEILI_EXPERIMENTAL_ALLOWED_IP_NETWORKS": "intranet"}, cwd=tmp_path).message == (
        "invalid value 'intranet' for '--experimental-allowed-ip-networks <EXPERIMENTAL_ALLOWED_IP_NETWORKS>' "
        "(set by MEILI_EXPERIMENTAL_ALLOWED_IP_NETWORKS): `intranet` is not an IP network in CIDR notation "
        "(like `10.0.0.0/8`)"
    )


def test_paths_resolve_against_cwd(tmp_path):
    config = load(["--db-path", "../elsewhere/db", "--snapshot-dir", "/abs/snaps",
                   "--ssl-cert-path", "cert.pem", "--ssl-key-path", "key.pem"], cwd=tmp_path / "run")
    assert config.db_path == tmp_path / "elsewhere" / "db"
    assert config.snapshot_dir == Path("/abs/snaps")
    assert config.ssl_cert_path == tmp_path / "run" / "cert.pem"
    assert config.tls_enabled is True


# 15. --help and --version -----------------------------------------------------------------------

def test_version(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        load(["--version"], cwd=tmp_path)
    assert caught.value.code == 0
    assert capsys.readouterr().out == "loupe 0.1.0\n"


def test_help_lists_flags_with_env_and_defaults(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        load(["--help"], cwd=tmp_path)
    assert caught.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("usage: loupe [OPTIONS] ")
    assert "[env: MEILI_HTTP_PAYLOAD_SIZE_LIMIT] [default: 100 MB]" in out
    assert "--http-addr HTTP_ADDR Address and port to listen on (`host:port`). [env: MEILI_HTTP_ADDR] " \
           "[default: localhost:7700]" in out
    for option in OPTIONS:
        assert option.flag in out and option.env in out


# 16. settings/config.toml -----------------------------------------------------------------------

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "settings" / "config.toml"


def test_settings_file_values_are_the_defaults(tmp_path):
    active = tomllib.loads(SETTINGS_FILE.read_text())
    with_file = load(cwd=tmp_path, defaults_file=SETTINGS_FILE)
    without = load(cwd=tmp_path)
    assert active  # it does set values
    for key, value in active.items():
        assert getattr(with_file, key) == getattr(without, key), key
    assert with_file == without


def test_settings_file_documents_every_option():
    text = SETTINGS_FILE.read_text()
    for key in TOML_KEYS:
        assert re.search(rf"^(# )?{key} = ", text, re.MULTILINE), key
    spec_core_keys = [
        "db_path", "env", "http_addr", "master_key", "no_analytics", "http_payload_size_limit",
        "log_level", "max_indexing_memory", "max_indexing_threads", "dump_dir", "import_dump",
        "ignore_missing_dump", "ignore_dump_if_db_exists", "schedule_snapshot", "snapshot_dir",
        "import_snapshot", "ignore_missing_snapshot", "ignore_snapshot_if_db_exists",
        "ssl_require_auth", "ssl_resumption", "ssl_tickets", "experimental_enable_metrics",
        "experimental_reduce_indexing_memory_usage", "experimental_max_number_of_batched_tasks",
    ]
    assert set(spec_core_keys) <= set(TOML_KEYS)


def test_source_checkout_uses_settings_file_as_defaults_layer():
    assert config_module.DEFAULTS_FILE == SETTINGS_FILE


# 17. secrets ------------------------------------------------------------------------------------

def test_secrets_are_not_in_repr(tmp_path):
    config = load(["--master-key", GOOD_KEY, "--task-webhook-authorization-header", "Bearer hush",
                   "--experimental-personalization-api-key", "pk-secret"], cwd=tmp_path)
    text = repr(config)
    assert GOOD_KEY not in text and "hush" not in text and "pk-secret" not in text


def test_server_runs_on_uvloop_when_installed(monkeypatch):
    """An install with the declared dependencies serves on uvloop; without it, asyncio's loop."""
    import sys

    import uvloop

    from server.cli import new_event_loop

    loop = new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import fails as if not installed
    loop = new_event_loop()
    try:
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()


def test_serving_processes_get_one_blas_thread_unless_the_operator_chose(monkeypatch):
    from server.cli import single_threaded_blas
    environ = {"OMP_NUM_THREADS": "4", "PATH": "/usr/bin"}
    monkeypatch.setattr(os, "environ", environ)  # what spawned processes inherit
    single_threaded_blas()
    assert environ == {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "4", "MKL_NUM_THREADS": "1",
                       "PATH": "/usr/bin"}
