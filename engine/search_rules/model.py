"""A dynamic search rule: the PATCH body, checked as upstream's deserr checks it, and the stored rule.

A rule as stored and shown (`GET /dynamic-search-rules/{uid}`)::

    {"uid": "black-friday", "description": "...", "precedence": 10, "active": true,
     "conditions": {"time": {"start": ..., "end": ...}, "query": {"isEmpty": true}},
     "actions": [{"selector": {"indexUid": "products", "id": "123"},
                  "action": {"type": "pin", "position": 1}}]}

`description` and `precedence` are left out when unset; a new rule is active with no conditions
and no actions.  Every field of the body is a *setting*: absent leaves the stored value, `null`
resets it (active back to true, conditions to none, actions to none), a value replaces it
(`conditions` as a whole).
"""
from __future__ import annotations

import re
from typing import Any

from ..errors import LoupeError
from ..settings.validate import (
    check_fields,
    invalid_value,
    missing_field,
    type_error,
    unknown_value,
)
from ..tasks.timefmt import parse_datetime_ns

FIELDS = ("description", "precedence", "active", "conditions", "actions")
CONDITION_FIELDS = ("time", "query")  # v1.50: the `filter` condition came with v1.51
_CODES = {"description": "invalid_dynamic_search_rule_description",
          "precedence": "invalid_dynamic_search_rule_priority",
          "active": "invalid_dynamic_search_rule_active",
          "conditions": "invalid_dynamic_search_rule_conditions",
          "actions": "invalid_dynamic_search_rule_actions"}
_CONDITIONS = _CODES["conditions"]
_ACTIONS = _CODES["actions"]
_U32 = 2**32 - 1
_U64 = 2**64 - 1

Rule = dict[str, Any]


def new_rule(uid: str) -> Rule:
    """What a PATCH on an unknown uid starts from."""
    return {"uid": uid, "active": True, "conditions": {}, "actions": []}


def parse_update(body: Any) -> dict[str, Any]:
    """The checked body of `PATCH /dynamic-search-rules/{uid}`: only the keys it sets or resets
    (None = reset), values normalized as they will be stored."""
    if not isinstance(body, dict):
        raise type_error("", "an object", body, "bad_request")
    check_fields(body, FIELDS)
    update: dict[str, Any] = {}
    for key, value in body.items():
        update[key] = None if value is None else _PARSERS[key](value)
    return update


def apply_update(rule: Rule | None, uid: str, update: dict[str, Any]) -> Rule:
    """The rule once ``update`` is applied (a new rule when ``rule`` is None)."""
    out = dict(rule) if rule is not None else new_rule(uid)
    for key, value in update.items():
        if key in ("description", "precedence"):
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
        elif key == "active":
            out["active"] = True if value is None else value
        elif key == "conditions":
            out["conditions"] = {} if value is None else value
        elif key == "actions":
            out["actions"] = [] if value is None else value
    return out


def rule_view(rule: Rule) -> Rule:
    """The rule as the routes show it, fields in upstream's order, internal keys left out."""
    view: Rule = {"uid": rule["uid"]}
    for key in ("description", "precedence"):
        if rule.get(key) is not None:
            view[key] = rule[key]
    view["active"] = rule.get("active", True)
    view["conditions"] = rule.get("conditions") or {}
    view["actions"] = rule.get("actions") or []
    return view


# -- fields ----------------------------------------------------------------------------------------

def _description(value: Any) -> str:
    if not isinstance(value, str):
        raise type_error(".description", "a string", value, _CODES["description"])
    return value


def _precedence(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise type_error(".precedence", "a positive integer", value, _CODES["precedence"])
    if value > _U64:
        raise invalid_value(".precedence", "out of range integral type conversion attempted", _CODES["precedence"])
    return value


def _active(value: Any) -> bool:
    if not isinstance(value, bool):
        raise type_error(".active", "a boolean", value, _CODES["active"])
    return value


def _conditions(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise type_error(".conditions", "an object", value, _CONDITIONS)
    check_fields(value, CONDITION_FIELDS, _CONDITIONS, inside=".conditions")
    out: dict[str, Any] = {}
    if value.get("time") is not None:
        out["time"] = _time(value["time"])
    if value.get("query") is not None:
        out["query"] = _query(value["query"])
    _check_conditions(out)
    return out


def _time(value: Any) -> dict[str, str]:
    """``{start?, end?}``: RFC 3339 datetimes; other keys are ignored (upstream keeps none)."""
    if not isinstance(value, dict):
        raise type_error(".conditions.time", "an object", value, _CONDITIONS)
    out: dict[str, str] = {}
    for key in ("start", "end"):
        raw = value.get(key)
        if raw is None:
            continue
        path = f".conditions.time.{key}"
        if not isinstance(raw, str):
            raise type_error(path, "a string", raw, _CONDITIONS)
        out[key] = rfc3339(raw, path)
    return out


def _query(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise type_error(".conditions.query", "an object", value, _CONDITIONS)
    check_fields(value, ("isEmpty", "words"), _CONDITIONS, inside=".conditions.query")
    out: dict[str, Any] = {}
    if value.get("isEmpty") is not None:
        if not isinstance(value["isEmpty"], bool):
            raise type_error(".conditions.query.isEmpty", "a boolean", value["isEmpty"], _CONDITIONS)
        out["isEmpty"] = value["isEmpty"]
    if value.get("words") is not None:
        if not isinstance(value["words"], str):
            raise type_error(".conditions.query.words", "a string", value["words"], _CONDITIONS)
        out["words"] = value["words"]
    return out


def _check_conditions(conditions: dict[str, Any]) -> None:
    """Upstream's checks of the whole conditions object (its `validate_condition`), reported with
    the generic `bad_request` code."""
    query = conditions.get("query") or {}
    if query.get("isEmpty") is True and "words" in query:
        raise invalid_value(".conditions.query", "either `isEmpty` or `words` can be used, not both at once",
                            "bad_request")
    time = conditions.get("time") or {}
    if "start" in time and "end" in time:
        start, end = parse_datetime_ns(time["start"]), parse_datetime_ns(time["end"])
        if start is not None and end is not None and start > end:
            raise invalid_value(".conditions.time", f"`end` (`{_display(time['end'])}`) should be later than "
                                f"`start` (`{_display(time['start'])}`)", "bad_request")


def _actions(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise type_error(".actions", "an array", value, _ACTIONS)
    return [_action(item, f".actions[{n}]") for n, item in enumerate(value)]


def _action(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise type_error(path, "an object", value, _ACTIONS)
    check_fields(value, ("selector", "action"), _ACTIONS, inside=path)
    for key in ("selector", "action"):
        if key not in value:
            raise missing_field(f"{path}.{key}", _ACTIONS)
    return {"selector": _selector(value["selector"], f"{path}.selector"),
            "action": _pin(value["action"], f"{path}.action")}


def _selector(value: Any, path: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise type_error(path, "an object", value, _ACTIONS)
    check_fields(value, ("indexUid", "id"), _ACTIONS, inside=path)
    out: dict[str, str] = {}
    index_uid = value.get("indexUid")
    if index_uid is not None:
        from ..meilisearch.multi_search import INDEX_UID_RE, index_uid_error
        if not isinstance(index_uid, str):
            raise type_error(f"{path}.indexUid", "a string", index_uid, _ACTIONS)
        if not INDEX_UID_RE.match(index_uid):
            raise LoupeError(_ACTIONS, index_uid_error(index_uid, f"{path}.indexUid").message)
        out["indexUid"] = index_uid
    if "id" not in value:
        raise missing_field(f"{path}.id", _ACTIONS)
    if not isinstance(value["id"], str):
        raise type_error(f"{path}.id", "a string", value["id"], _ACTIONS)
    out["id"] = value["id"]
    return out


def _pin(value: Any, path: str) -> dict[str, Any]:
    """``{"type": "pin", "position": n}``, the only action there is."""
    if not isinstance(value, dict):
        raise type_error(path, "an object", value, _ACTIONS)
    if "type" not in value:
        raise missing_field(f"{path}.type", _ACTIONS)
    kind = value["type"]
    if not isinstance(kind, str):
        raise type_error(f"{path}.type", "a string", kind, _ACTIONS)
    if kind != "pin":
        raise unknown_value(kind, f"{path}.type", ["pin"], _ACTIONS)
    check_fields(value, ("type", "position"), _ACTIONS, inside=path)
    if "position" not in value:
        raise missing_field(f"{path}.position", _ACTIONS)
    position = value["position"]
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise type_error(f"{path}.position", "a positive integer", position, _ACTIONS)
    if position > _U32:
        raise invalid_value(f"{path}.position", "out of range integral type conversion attempted", _ACTIONS)
    return {"type": "pin", "position": position}


_PARSERS = {"description": _description, "precedence": _precedence, "active": _active,
            "conditions": _conditions, "actions": _actions}


# -- datetimes -------------------------------------------------------------------------------------

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$")


def rfc3339(raw: str, path: str) -> str:
    """An RFC 3339 datetime as the `time` crate prints it back: `Z` for UTC, the fraction trimmed."""
    m = _RFC3339.match(raw)
    if not m or parse_datetime_ns(raw) is None:
        raise invalid_value(path, f"`{raw}` is an invalid date-time. It should follow the YYYY-MM-DD or RFC 3339 "
                            "date-time format.", _CONDITIONS)
    year, month, day, hour, minute, second, frac, offset = m.groups()
    fraction = (frac or "")[:9].rstrip("0")
    offset = "Z" if offset in ("Z", "z", "+00:00") else offset
    return f"{year}-{month}-{day}T{hour}:{minute}:{second}{'.' + fraction if fraction else ''}{offset}"


def _display(text: str) -> str:
    """A stored datetime as the `time` crate's Display prints it: `2025-11-28 0:00:00.0 +00:00:00`."""
    m = _RFC3339.match(text)
    assert m is not None
    year, month, day, hour, minute, second, frac, offset = m.groups()
    fraction = (frac or "")[:9].rstrip("0") or "0"
    zone = "+00:00" if offset in ("Z", "z") else offset
    return f"{year}-{month}-{day} {int(hour)}:{minute}:{second}.{fraction} {zone}:00"


def rule_key_error(uid: str) -> LoupeError:
    return LoupeError("dynamic_search_rule_not_found", f"Dynamic search rule `{uid}` not found.")
