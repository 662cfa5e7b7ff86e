"""JSON, NDJSON and CSV payloads -> lists of documents (api.md §3.3).

The whole payload is parsed before a task is enqueued, so a malformed payload is an HTTP error
and never a failed task.  Each format keeps Meilisearch's wording for its errors, with the format
name in backquotes: "The `ndjson` payload provided is malformed. `...`."
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any

import orjson

from ..errors import LoupeError, rust_debug_str
from ..facets.values import facet_number, rust_trim

FORMATS = {"application/json": "json", "application/x-ndjson": "ndjson", "text/csv": "csv"}
NOT_OBJECTS = "Couldn't serialize document value: data are neither an object nor a list of objects"


def missing_payload(fmt: str) -> LoupeError:
    return LoupeError("missing_payload", f"A {fmt} payload is missing.")


def malformed(fmt: str, detail: str) -> LoupeError:
    if fmt == "csv":
        return LoupeError("malformed_payload", f"The `csv` payload provided is malformed: `{detail}`.")
    return LoupeError("malformed_payload", f"The `{fmt}` payload provided is malformed. `{detail}`.")


def _json_error_text(exc: orjson.JSONDecodeError) -> str:
    msg = str(exc.msg).rstrip(".")
    return f"{msg} at line {exc.lineno} column {exc.colno}"


def _parse_json(raw: bytes) -> list[dict[str, Any]]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise malformed("json", _json_error_text(exc)) from None
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(d, dict) for d in value):
        return value
    raise malformed("json", NOT_OBJECTS)


_CSV_TYPES = ("string", "number", "boolean")


def _csv_header(cell: str) -> tuple[str, str]:
    name, colon, kind = cell.rpartition(":")
    if colon and kind in _CSV_TYPES:
        return name, kind
    return cell, "string"


_RUST_INT = re.compile(r"[+-]?[0-9]+\Z")


def _csv_value(text: str, kind: str, line: int) -> Any:
    """One cell as its column's type, parsed as upstream's `read_csv` does (the value trimmed of
    Unicode whitespace, then `i64`, else `f64`; booleans exactly `true` / `false`); an error names
    the untrimmed value and the record's number (``line``: the first record after the headers is 1)."""
    if kind == "string":
        return None if text == "" else text
    trimmed = rust_trim(text)
    if trimmed == "":
        return None
    if kind == "number":
        if _RUST_INT.match(trimmed) and -2**63 <= int(trimmed) < 2**63:
            return int(trimmed)
        number = facet_number(trimmed)
        if number is None:
            raise malformed("csv", f"Error parsing number {rust_debug_str(text)} at line {line}: invalid float literal")
        return number
    if trimmed in ("true", "false"):
        return trimmed == "true"
    raise malformed("csv", f"Error parsing boolean {rust_debug_str(text)} at line {line}: provided string was not "
                           "`true` or `false`")


def _parse_csv(raw: bytes, delimiter: str) -> list[dict[str, Any]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise malformed("csv", str(exc)) from None
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header_row = next(rows)
    except StopIteration:
        raise missing_payload("csv") from None
    except csv.Error as exc:
        raise malformed("csv", str(exc)) from None
    headers = [_csv_header(cell) for cell in header_row]
    documents = []
    line_starts = _line_starts(raw)
    record = 0  # records read after the headers (the csv crate skips blank lines)
    last_line = rows.line_num
    try:
        for row in rows:
            first_line, last_line = last_line + 1, rows.line_num
            if not row:
                continue
            record += 1
            if len(row) != len(headers):
                raise malformed(
                    "csv", f"CSV error: record {record} (line: {first_line}, byte: {line_starts[first_line - 1]}): "
                    f"found record with {len(row)} fields, but the previous record has {len(headers)} fields")
            documents.append({name: _csv_value(cell, kind, record) for (name, kind), cell in zip(headers, row)})
    except csv.Error as exc:
        raise malformed("csv", str(exc)) from None
    return documents


def _line_starts(raw: bytes) -> list[int]:
    """Byte offset of each line's start (lines end at `\\n`, as the csv crate counts them)."""
    starts = [0]
    position = raw.find(b"\n")
    while position != -1:
        starts.append(position + 1)
        position = raw.find(b"\n", position + 1)
    return starts


def count_ndjson(raw: bytes) -> int:
    """Validate an NDJSON payload line by line without keeping the documents (memory stays flat)."""
    count = 0
    for lineno, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise malformed("ndjson", f"{str(exc.msg).rstrip('.')} at line {lineno} column {exc.colno}") from None
        if not isinstance(value, dict):
            raise malformed("ndjson", NOT_OBJECTS)
        count += 1
    return count


def prepare_update_file(raw: bytes, fmt: str, csv_delimiter: str = ",") -> tuple[bytes, str, int]:
    """Validate a payload and return (bytes to store, stored format, number of documents).

    JSON and NDJSON payloads are stored as received — validated, never re-encoded — and CSV is
    converted to NDJSON once, so the worker only ever reads JSON or NDJSON.
    """
    if not raw:
        raise missing_payload(fmt)
    if fmt == "ndjson":
        count = count_ndjson(raw)
        if count == 0 and not raw.strip():
            raise missing_payload("ndjson")
        return raw, "ndjson", count
    if fmt == "json":
        documents = _parse_json(raw)
        return raw, "json", len(documents)
    documents = _parse_csv(raw, csv_delimiter)
    return encode_update_file(documents), "ndjson", len(documents)


def encode_update_file(documents: list[dict[str, Any]]) -> bytes:
    """Documents as NDJSON: one orjson document per line."""
    return b"\n".join(orjson.dumps(d) for d in documents)


def decode_update_file(raw: bytes, fmt: str = "ndjson") -> list[dict[str, Any]]:
    if fmt == "json":
        value = orjson.loads(raw)
        return [value] if isinstance(value, dict) else value
    return [orjson.loads(line) for line in raw.split(b"\n") if line.strip()]
