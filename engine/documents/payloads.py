"""JSON, NDJSON and CSV payloads -> lists of documents (api.md §3.3).

The whole payload is parsed before a task is enqueued, so a malformed payload is an HTTP error
and never a failed task.  Each format keeps Meilisearch's wording for its errors, with the format
name in backquotes: "The `ndjson` payload provided is malformed. `...`."
"""
from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from ..errors import LoupeError

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


def _csv_value(text: str, kind: str, name: str, line: int) -> Any:
    if text == "":
        return None
    if kind == "string":
        return text
    if kind == "number":
        stripped = text.strip()
        try:
            return int(stripped)
        except ValueError:
            try:
                return float(stripped)
            except ValueError:
                raise malformed("csv", f"Error parsing number {text!r} at line {line}: invalid float literal") from None
    if text.strip() in ("true", "false"):
        return text.strip() == "true"
    raise malformed("csv", f"Error parsing boolean {text!r} at line {line}: provided string was not `true` or `false`")


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
    line = 1
    try:
        for row in rows:
            line += 1
            if not row:
                continue
            if len(row) != len(headers):
                raise malformed(
                    "csv", f"CSV error: record {line - 1} (line {line}, byte 0): found record with "
                    f"{len(row)} fields, but the previous record has {len(headers)} fields")
            documents.append({name: _csv_value(cell, kind, name, line) for (name, kind), cell in zip(headers, row)})
    except csv.Error as exc:
        raise malformed("csv", str(exc)) from None
    return documents


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
