"""Dates and durations in Meilisearch's formats.

Properties:
1. dates are RFC 3339 UTC with `Z` and a trimmed fraction that is never absent;
2. durations use 3/6/9 fraction digits for whole ms/µs/ns, none at 0, and a day part;
3. RFC 3339 inputs with offsets and date-only inputs parse to the same instant.
"""
from engine.tasks.timefmt import format_date, format_duration, parse_date_only_ns, parse_datetime_ns


def test_dates():
    assert format_date(1_737_045_916_003_570_092) == "2025-01-16T16:45:16.003570092Z"
    assert format_date(1_737_045_916_003_570_000) == "2025-01-16T16:45:16.00357Z"
    assert format_date(1_737_045_916_000_000_000) == "2025-01-16T16:45:16Z"
    assert format_date(None) is None


def test_durations():
    assert format_duration(0) == "PT0S"
    assert format_duration(1_500_000_000) == "PT1.500S"
    assert format_duration(12_345_000) == "PT0.012345S"
    assert format_duration(123_456) == "PT0.000123456S"
    assert format_duration(86_400 * 10**9 + 2_500_000_000) == "P1DT2.500S"
    assert format_duration(-1) is None


def test_parsing():
    utc = parse_datetime_ns("2025-01-16T16:45:16.003570092Z")
    assert utc == 1_737_045_916_003_570_092
    assert parse_datetime_ns("2025-01-16T17:45:16.003570092+01:00") == utc
    assert parse_datetime_ns("2025-01-16") is None
    assert parse_date_only_ns("2025-01-16") == 1_736_985_600 * 10**9
    assert parse_date_only_ns("2025-13-01") is None


def test_trace_durations_print_as_rust_debug_with_two_decimals():
    from engine.tasks.timefmt import format_trace_duration
    assert [format_trace_duration(ns) for ns in (3, 850_000, 12_504_000, 1_230_000_000, 999)] == [
        "3.00ns", "850.00µs", "12.50ms", "1.23s", "999.00ns"]
