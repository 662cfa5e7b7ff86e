"""/indexes/{uid}/documents: add, update, get, list, fetch, delete (api.md §3)."""
from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from engine.documents.payloads import FORMATS, prepare_update_file
from engine.documents.primary_key import external_id
from engine.search.sort_spec import split_sort_query_string
from engine.errors import LoupeError
from engine.tasks.task import summary_view
from engine.settings.validate import (check_fields, compact_json, expect_object, param_error, parse_bool_param,
                             parse_uint_param, type_error)

from ..http import Router, json_response, query, read_body, validate_index_uid
from ..responses import paginated

_ACCEPTED = "`application/json`, `application/x-ndjson`, `text/csv`"


def _custom_metadata(q: dict[str, str]) -> str | None:
    return q.get("customMetadata")


def _content_format(request: web.Request, csv_delimiter: str | None) -> str:
    raw = request.headers.get("Content-Type")
    if raw is None:
        raise LoupeError("missing_content_type",
                         f"A Content-Type header is missing. Accepted values for the Content-Type header are: {_ACCEPTED}")
    media = raw.split(";", 1)[0].strip().lower()
    fmt = FORMATS.get(media)
    if fmt is None:
        raise LoupeError("invalid_content_type",
                         f"The Content-Type `{raw}` is invalid. Accepted values for the Content-Type header are: {_ACCEPTED}")
    if csv_delimiter is not None and fmt != "csv":
        raise LoupeError("invalid_content_type",
                         f"The Content-Type `{media}` does not support the use of a csv delimiter. The csv "
                         "delimiter can only be used with the Content-Type `text/csv`.")
    return fmt


def _csv_delimiter(q: dict[str, str]) -> str | None:
    if "csvDelimiter" not in q:
        return None
    value = q["csvDelimiter"]
    if len(value) != 1:
        found = "an empty string" if not value else f"the following string of {len(value)} characters: `{value}`"
        raise param_error("csvDelimiter", f"expected a string of one character, but found {found}",
                          "invalid_document_csv_delimiter")
    if not value.isascii():
        raise param_error("csvDelimiter", f"csv delimiter must be an ascii character. Found: `{value}`",
                          "invalid_document_csv_delimiter")
    return value


async def _add(request: web.Request, index_uid: str, method: str) -> web.Response:
    q = query(request, ("primaryKey", "csvDelimiter", "customMetadata", "skipCreation"))
    delimiter = _csv_delimiter(q)
    skip = False
    if "skipCreation" in q:
        raw = q["skipCreation"].lower()
        skip = parse_bool_param("skipCreation", raw, "invalid_skip_creation")
    validate_index_uid(index_uid)
    fmt = _content_format(request, delimiter)
    body = await read_body(request)
    payload, stored_format, count = prepare_update_file(body, fmt, delimiter or ",")
    grant = request["grant"]
    task = request.app["engine"].add_payload(
        index_uid, payload, stored_format, count, method=method, primary_key=q.get("primaryKey"),
        custom_metadata=_custom_metadata(q), allow_index_creation=grant.can_create_index(index_uid),
        skip_creation=skip)
    return json_response(summary_view(task), status=202)


async def add_documents(request: web.Request, index_uid: str) -> web.Response:
    return await _add(request, index_uid, "replace")


async def update_documents(request: web.Request, index_uid: str) -> web.Response:
    return await _add(request, index_uid, "update")


def _fields_param(q: dict[str, str]) -> list[str] | None:
    if "fields" not in q:
        return None
    fields = [f.strip() for f in q["fields"].split(",")]
    return None if "*" in fields else fields


async def get_document(request: web.Request, index_uid: str, document_id: str) -> web.Response:
    q = query(request, ("fields", "retrieveVectors"))
    retrieve = False
    if "retrieveVectors" in q:
        retrieve = parse_bool_param("retrieveVectors", q["retrieveVectors"], "invalid_document_retrieve_vectors")
    validate_index_uid(index_uid)
    doc = request.app["engine"].index(index_uid).get_document(document_id, _fields_param(q),
                                                               retrieve_vectors=retrieve)
    return json_response(doc)


def _filter_from_query(raw: str) -> Any:
    try:
        value = orjson.loads(raw)
        if isinstance(value, list):
            return value
    except orjson.JSONDecodeError:
        pass
    return raw


def _string_list(body: dict, key: str, code: str) -> list[str] | None:
    """``body[key]`` when it is an array of strings (absent or null: None), else deserr's refusal."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise type_error(f".{key}", "an array", value, code)
    for n, item in enumerate(value):
        if not isinstance(item, str):
            raise type_error(f".{key}[{n}]", "a string", item, code)
    return value


def _checked_ids(ids: list[Any]) -> list[str]:
    """Document ids of a listing as their canonical strings; a bad one is refused naming its
    place (``In `.ids[1]`: Document identifier … is invalid.``), in GET as in POST."""
    out = []
    for n, value in enumerate(ids):
        try:
            out.append(external_id(value))
        except LoupeError as error:
            if isinstance(value, (list, dict, float)) or value is None:
                raise type_error(f".ids[{n}]", "a string", value, "invalid_document_ids") from None
            raise LoupeError("invalid_document_ids", f"In `.ids[{n}]`: {error.message}") from None
    return out


async def list_documents(request: web.Request, index_uid: str) -> web.Response:
    q = query(request, ("offset", "limit", "fields", "retrieveVectors", "ids", "filter", "sort"))
    offset = parse_uint_param("offset", q["offset"], "invalid_document_offset") if "offset" in q else 0
    limit = parse_uint_param("limit", q["limit"], "invalid_document_limit") if "limit" in q else 20
    retrieve = False
    if "retrieveVectors" in q:
        retrieve = parse_bool_param("retrieveVectors", q["retrieveVectors"], "invalid_document_retrieve_vectors")
    ids = _checked_ids(q["ids"].split(",")) if "ids" in q else None
    filt = _filter_from_query(q["filter"]) if q.get("filter") else None
    sort = split_sort_query_string(q["sort"]) if q.get("sort") else None
    validate_index_uid(index_uid)
    results, total = request.app["engine"].index(index_uid).get_documents(
        offset, limit, _fields_param(q), ids, filt, sort, retrieve_vectors=retrieve)
    return json_response(paginated(results, offset, limit, total))


_FETCH_FIELDS = ["offset", "limit", "fields", "retrieveVectors", "ids", "filter", "sort"]


def _uint(body: dict, name: str, code: str, default: int) -> int:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise type_error(f".{name}", "a positive integer", value, code)
    return value


async def fetch_documents(request: web.Request, index_uid: str) -> web.Response:
    from ..http import json_body
    validate_index_uid(index_uid)
    body = await json_body(request, optional=True)
    if body is None and "Content-Type" in request.headers:  # a JSON `null`, not an absent body
        raise type_error("", "an object", None, "bad_request")
    body = expect_object(body if body is not None else {})
    check_fields(body, _FETCH_FIELDS)
    offset = _uint(body, "offset", "invalid_document_offset", 0)
    limit = _uint(body, "limit", "invalid_document_limit", 20)
    fields = _string_list(body, "fields", "invalid_document_fields")
    if fields is not None and "*" in fields:
        fields = None
    rv = body.get("retrieveVectors")
    if rv is not None and not isinstance(rv, bool):
        raise type_error(".retrieveVectors", "a boolean", rv, "invalid_document_retrieve_vectors")
    ids = body.get("ids")
    if ids is not None:
        if not isinstance(ids, list):
            raise type_error(".ids", "an array", ids, "invalid_document_ids")
        ids = _checked_ids(ids)
    filt = body.get("filter")
    if filt is not None and not isinstance(filt, (str, list)):
        raise LoupeError("invalid_document_filter",
                         f"Invalid syntax for the filter parameter: `expected String, Array, found: {compact_json(filt)}`.")
    sort = _string_list(body, "sort", "invalid_document_sort")
    results, total = request.app["engine"].index(index_uid).get_documents(offset, limit, fields, ids, filt or None,
                                                                          sort, retrieve_vectors=bool(rv))
    return json_response(paginated(results, offset, limit, total))


async def delete_document(request: web.Request, index_uid: str, document_id: str) -> web.Response:
    q = query(request, ("customMetadata",))
    validate_index_uid(index_uid)
    task = request.app["engine"].delete_documents(index_uid, [document_id], _custom_metadata(q))
    return json_response(summary_view(task), status=202)


async def delete_batch(request: web.Request, index_uid: str) -> web.Response:
    """As upstream's `web::Json<Vec<Value>>`: any array is taken, each value an id as it is (a string)
    or as its compact JSON (anything else: the task then finds no such document)."""
    from ..http import json_body, serde_type_error
    q = query(request, ("customMetadata",))
    validate_index_uid(index_uid)
    body = await json_body(request)
    if not isinstance(body, list):
        raise serde_type_error(request, body, "a sequence")
    ids = [value if isinstance(value, str) else compact_json(value) for value in body]
    task = request.app["engine"].delete_documents(index_uid, ids, _custom_metadata(q))
    return json_response(summary_view(task), status=202)


async def delete_by_filter(request: web.Request, index_uid: str) -> web.Response:
    from ..http import json_body
    q = query(request, ("customMetadata",))
    validate_index_uid(index_uid)
    body = expect_object(await json_body(request))
    check_fields(body, ["filter"])
    if "filter" not in body:
        raise LoupeError("missing_document_filter", "Missing field `filter`")
    filt = body["filter"]
    _check_document_filter(request, filt)
    task = request.app["engine"].delete_documents_by_filter(index_uid, filt, orjson.dumps(filt).decode(),
                                                            _custom_metadata(q))
    return json_response(summary_view(task), status=202)


def _check_document_filter(request: web.Request, filt: Any) -> None:
    """A filter that selects documents for a task: a string or an array, not empty, well formed."""
    if not isinstance(filt, (str, list)):
        raise LoupeError("invalid_document_filter",
                         f"Invalid syntax for the filter parameter: `expected String, Array, found: {compact_json(filt)}`.")
    if filt == "" or filt == [] or (isinstance(filt, str) and not filt.strip()):
        raise LoupeError("invalid_document_filter", "Sending an empty filter is forbidden.")
    request.app["engine"].check_filter_syntax(filt, "invalid_document_filter")


_EDIT_FIELDS = ["filter", "context", "function"]
_EDIT_FEATURE_LINK = "https://github.com/orgs/meilisearch/discussions/762"


def _edition_body(body: Any) -> dict[str, Any]:
    """Deserr's reading of the body: fields in the order sent (an unknown one or a function that is
    no string stops there), then the missing function."""
    body = expect_object(body)
    for key, value in body.items():
        if key not in _EDIT_FIELDS:
            check_fields({key: value}, _EDIT_FIELDS)
        if key == "function" and not isinstance(value, str):
            raise type_error(".function", "a string", value, "invalid_document_edition_function_filter")
    if "function" not in body:
        raise LoupeError("missing_document_edition_function", "Missing field `function`")
    return body


async def edit_documents(request: web.Request, index_uid: str) -> web.Response:
    """POST /indexes/{uid}/documents/edit (api.md §3.12), in upstream's order of checks: the body,
    the `editDocumentsByFunction` feature, the index uid, the function compiles, the filter, the
    context."""
    from engine.documents.edit import ScriptError, compile_script
    from engine.settings.features import feature_not_enabled

    from ..http import json_body
    q = query(request, ("customMetadata",))
    body = _edition_body(await json_body(request))
    if "editDocumentsByFunction" not in request.app["features"].enabled():
        raise feature_not_enabled("Using the documents edit route", "edit documents by function", _EDIT_FEATURE_LINK)
    validate_index_uid(index_uid)
    try:
        compile_script(body["function"])
    except ScriptError as exc:
        raise LoupeError("bad_request", str(exc)) from None
    filt = body.get("filter")
    if filt is not None:
        _check_document_filter(request, filt)
    context = body.get("context")
    if context is not None and not isinstance(context, dict):
        raise LoupeError("invalid_document_edition_context", "The context must be an object")
    task = request.app["engine"].edit_documents(index_uid, body["function"], filt, context, _custom_metadata(q))
    return json_response(summary_view(task), status=202)


async def clear_documents(request: web.Request, index_uid: str) -> web.Response:
    q = query(request, ("customMetadata",))
    validate_index_uid(index_uid)
    task = request.app["engine"].clear_documents(index_uid, _custom_metadata(q))
    return json_response(summary_view(task), status=202)


def register(router: Router) -> None:
    base = "/indexes/{index_uid}/documents"
    router.add("POST", base, add_documents, "documents.add")
    router.add("PUT", base, update_documents, "documents.add")
    router.add("GET", base, list_documents, "documents.get")
    router.add("DELETE", base, clear_documents, "documents.delete")
    router.add("POST", base + "/fetch", fetch_documents, "documents.get")
    router.add("POST", base + "/delete-batch", delete_batch, "documents.delete")
    router.add("POST", base + "/delete", delete_by_filter, "documents.delete")
    router.add("POST", base + "/edit", edit_documents, "documents.*")
    router.add("GET", base + "/{document_id}", get_document, "documents.get")
    router.add("DELETE", base + "/{document_id}", delete_document, "documents.delete")
