"""Dates and durations in Meilisearch's wire formats (api.md §0.7, tasks.md §4).

Timestamps are kept as integer nanoseconds since the epoch (exact, cheap to compare in task
filters) and only turned into text at the edge:

    >>> format_date(1_737_045_916_003_570_092)
    '2025-01-16T16:45:16.003570092Z'
    >>> format_duration(1_500_000_000)
    'PT1.500S'
"""
from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta, timezone

NS = 1_000_000_000


def now_ns() -> int:
    return time.time_ns()


def format_date(ns: int | None) -> str | None:
    """RFC 3339 UTC with `Z`, the fraction trimmed of trailing zeros and left out when it is
    zero, as Meilisearch prints dates (api.md §0.7: ``2050-11-13T00:00:00Z``)."""
    if ns is None:
        return None
    seconds, frac = divmod(ns, NS)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    digits = f"{frac:09d}".rstrip("0")
    return f"{stamp}.{digits}Z" if digits else f"{stamp}Z"


def format_trace_duration(ns: int) -> str:
    """A step of a batch's ``progressTrace`` as Meilisearch prints it (Rust's ``{:.2?}`` of a
    ``Duration``): ``12.50ms``, ``1.23s``, ``850.00µs``, ``3.00ns``."""
    for unit, size in (("s", NS), ("ms", 1_000_000), ("µs", 1_000)):
        if ns >= size:
            return f"{ns / size:.2f}{unit}"
    return f"{ns:.2f}ns"


def format_duration(ns: int | None) -> str | None:
    """ISO-8601 duration: 3 fraction digits for whole ms, 6 for whole µs, else 9; none at 0."""
    if ns is None or ns < 0:
        return None
    days, rest = divmod(ns, 86_400 * NS)
    seconds, frac = divmod(rest, NS)
    if frac == 0:
        fraction = ""
    elif frac % 1_000_000 == 0:
        fraction = f".{frac // 1_000_000:03d}"
    elif frac % 1_000 == 0:
        fraction = f".{frac // 1_000:06d}"
    else:
        fraction = f".{frac:09d}"
    day_part = f"{days}D" if days else ""
    return f"P{day_part}T{seconds}{fraction}S"


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$"
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_datetime_ns(text: str, *, require_offset: bool = True) -> int | None:
    """Parse RFC 3339 (offset required unless ``require_offset`` is False) to epoch nanoseconds."""
    m = _RFC3339.match(text)
    if not m:
        return None
    year, month, day, hour, minute, second, frac, offset = m.groups()
    if offset is None and require_offset:
        return None
    try:
        base = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=timezone.utc)
    except ValueError:
        return None
    if offset and offset not in ("Z", "z"):
        sign = 1 if offset[0] == "+" else -1
        base -= sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
    nanos = int((frac or ".0")[1:10].ljust(9, "0"))
    return int(base.timestamp()) * NS + nanos


def parse_date_only_ns(text: str) -> int | None:
    m = _DATE.match(text)
    if not m:
        return None
    try:
        d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()) * NS
