"""Runtime experimental features (api.md §16), stored in the queue environment's metadata.

Instance flags (`--experimental-enable-metrics`...) force a feature on at start-up; the stored
value is what `PATCH /experimental-features` changed.
"""
from __future__ import annotations

from typing import Any

from ..errors import LoupeError
from ..store import Store
from ..store.codecs import dumps, loads
from .validate import unknown_field

FEATURES = (
    "metrics", "logsRoute", "editDocumentsByFunction", "containsFilter", "dynamicSearchRules", "network",
    "getTaskDocumentsRoute", "taskQueueCompactionRoute", "compositeEmbedders", "chatCompletions",
    "multimodal", "foreignKeys", "disableDocumentsFetchQueue", "legacySearch", "renderRoute",
)
FEATURES_KEY = b"experimental-features"


class Features:
    def __init__(self, store: Store, forced: set[str] | frozenset[str] = frozenset()):
        self.store = store
        self.forced = set(forced)

    def get(self) -> dict[str, bool]:
        with self.store.queue_env.begin() as txn:
            raw = txn.get(FEATURES_KEY, db=self.store.q["meta"])
        stored = loads(raw) if raw is not None else {}
        return {name: bool(stored.get(name, False)) or name in self.forced for name in FEATURES}

    def enabled(self) -> frozenset[str]:
        return frozenset(name for name, on in self.get().items() if on)

    def patch(self, body: Any) -> dict[str, bool]:
        if not isinstance(body, dict):
            raise LoupeError("bad_request", f"Invalid value type: expected an object, but found {_kind(body)}")
        for key, value in body.items():
            if key not in FEATURES:
                raise unknown_field(key, FEATURES)
            if value is not None and not isinstance(value, bool):
                raise LoupeError("bad_request",
                                 f"Invalid value type at `.{key}`: expected a boolean, but found {_kind(value)}")
        with self.store.queue_env.begin(write=True) as txn:
            raw = txn.get(FEATURES_KEY, db=self.store.q["meta"])
            stored = loads(raw) if raw is not None else {}
            for key, value in body.items():
                if value is not None:
                    stored[key] = value
            txn.put(FEATURES_KEY, dumps(stored), db=self.store.q["meta"])
        return self.get()


def _kind(value: Any) -> str:
    from .validate import found
    return found(value)


def feature_not_enabled(action: str, feature: str, link: str) -> LoupeError:
    return LoupeError("feature_not_enabled",
                      f"{action} requires enabling the `{feature}` experimental feature. See {link}")


__all__ = ["Features", "FEATURES", "FEATURES_KEY", "feature_not_enabled"]
