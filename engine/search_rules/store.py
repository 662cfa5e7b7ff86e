"""Where the rules live: one record per rule in the queue environment's metadata database.

Keys are ``dynamic-search-rule:<uid>``, so a dump's instance metadata and a snapshot carry the
rules with no code of their own.  Each record keeps an internal ``_id``: upstream stores rules as
documents of an internal index, and lists them in document-id order, the lowest free id going to a
new rule; `_id` reproduces that order.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..settings.features import FEATURES_KEY
from ..store import Store
from ..store.codecs import dumps, loads
from .model import Rule, apply_update, rule_view

PREFIX = b"dynamic-search-rule:"


def _key(uid: str) -> bytes:
    return PREFIX + uid.encode()


def _records(txn: Any, store: Store) -> Iterator[Rule]:
    cursor = txn.cursor(db=store.q["meta"])
    if not cursor.set_range(PREFIX):
        return
    for key, raw in cursor:
        if not bytes(key).startswith(PREFIX):
            return
        yield loads(raw)


def all_rules(store: Store) -> list[Rule]:
    """Every rule, in internal-id order (the order upstream lists and applies them)."""
    with store.queue_env.begin() as txn:
        records = list(_records(txn, store))
    return sorted(records, key=lambda r: r["_id"])


def rules_in_force(store: Store, forced: bool = False) -> list[Rule]:
    """The rules searches apply, read in one transaction with the feature flag: none while the
    `dynamicSearchRules` feature is off (``forced``: switched on by the command line)."""
    with store.queue_env.begin() as txn:
        raw = txn.get(FEATURES_KEY, db=store.q["meta"])
        if not forced and (raw is None or not loads(raw).get("dynamicSearchRules")):
            return []
        records = list(_records(txn, store))
    return sorted(records, key=lambda r: r["_id"])


def get_rule(store: Store, uid: str) -> Rule | None:
    """The rule as shown, None when there is none of that uid."""
    with store.queue_env.begin() as txn:
        raw = txn.get(_key(uid), db=store.q["meta"])
    return rule_view(loads(raw)) if raw is not None else None


def update_rule(store: Store, uid: str, update: dict[str, Any]) -> None:
    """Create or patch a rule (the worker's `dsrUpdate`)."""
    with store.queue_env.begin(write=True) as txn:
        raw = txn.get(_key(uid), db=store.q["meta"])
        current = loads(raw) if raw is not None else None
        rule = apply_update(current, uid, update)
        if current is None:
            used = {record["_id"] for record in _records(txn, store)}
            rule["_id"] = next(n for n in range(len(used) + 1) if n not in used)
        txn.put(_key(uid), dumps(rule), db=store.q["meta"])


def delete_rule(store: Store, uid: str) -> None:
    """Forget a rule; deleting one that does not exist is no error (upstream's task succeeds)."""
    with store.queue_env.begin(write=True) as txn:
        txn.delete(_key(uid), db=store.q["meta"])


def clear_rules(store: Store) -> None:
    with store.queue_env.begin(write=True) as txn:
        keys = [bytes(key) for key, _raw in txn.cursor(db=store.q["meta"]) if bytes(key).startswith(PREFIX)]
        for key in keys:
            txn.delete(key, db=store.q["meta"])


def apply_rule_task(store: Store, task: dict[str, Any]) -> None:
    """Apply a `dsrUpdate` (create or patch, or delete) or `dsrClear` task; none of them can fail."""
    op = task["op"]
    if task["type"] == "dsrClear":
        clear_rules(store)
    elif op["kind"] == "delete":
        delete_rule(store, op["uid"])
    else:
        update_rule(store, op["uid"], op["update"])
