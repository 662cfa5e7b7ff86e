"""From a request body to new stored settings: validate, then merge.

Two request shapes reach the engine. ``PATCH /settings`` sends an object of settings; a sub-route
sends one setting's bare value. Both become a *patch*: ``{name: value or None}`` with only the keys
sent, ``None`` meaning "reset to default". The patch is what the task records; applying it to the
stored settings happens when the task runs:

    >>> patch = validate_settings_patch({"typoTolerance": {"enabled": False}, "stopWords": ["the", "a"]})
    >>> patch
    {'typoTolerance': {'enabled': False}, 'stopWords': ['a', 'the']}
    >>> new = apply_patch(default_settings(), patch)
    >>> new["typoTolerance"]["enabled"], new["typoTolerance"]["minWordSizeForTypos"]
    (False, {'oneTypo': 5, 'twoTypos': 9})

Merge rules (api.md §4.2): ``typoTolerance`` merges key by key and ``minWordSizeForTypos`` per
sub-key; ``faceting`` merges per key but replaces ``sortFacetValuesBy`` whole; ``pagination`` and
``chat`` merge per key; ``embedders`` merge by name (``null`` removes) and field by field; every
other setting is replaced.
"""
from __future__ import annotations

import copy
from typing import Any, Iterable

from ..errors import LoupeError
from .validate import expect_object, unknown_field
from .embedders import check_embedders_patch, merge_embedders
from .registry import FEATURE_LINKS, FEATURE_NAMES, SETTING_NAMES, SETTINGS, SETTINGS_BY_NAME, default_settings, lookup
from .values import check_mixed_attribute_rules, min_word_size_message

__all__ = ["apply_patch", "reset_all", "sub_route_patch", "validate_setting_value", "validate_settings_patch", "default_settings"]

Features = Iterable[str]


def feature_not_enabled(setting_name: str, feature: str) -> LoupeError:
    return LoupeError(
        "feature_not_enabled",
        f"setting `{setting_name}` in the index settings requires enabling the `{FEATURE_NAMES[feature]}` "
        f"experimental feature. See {FEATURE_LINKS[feature]}",
    )


def _post_checks(patch: dict[str, Any], features: frozenset[str]) -> None:
    """What Meilisearch checks once the body deserialised: features, rule mix, embedder semantics."""
    if patch.get("embedders") is not None:
        check_embedders_patch(patch["embedders"], features)
    for name in patch:
        setting = SETTINGS_BY_NAME[name]
        if setting.feature and setting.feature not in features and patch[name] is not None:
            raise feature_not_enabled(name, setting.feature)
    if patch.get("rankingRules") is not None:
        check_mixed_attribute_rules(patch["rankingRules"])


def validate_settings_patch(body: Any, features: Features = frozenset()) -> dict[str, Any]:
    """The body of ``PATCH /settings`` -> normalised patch (only the keys sent, in input order)."""
    features = frozenset(features)
    expect_object(body)
    patch: dict[str, Any] = {}
    for key, value in body.items():
        setting = SETTINGS_BY_NAME.get(key)
        if setting is None:
            raise unknown_field(key, SETTING_NAMES)
        patch[key] = None if value is None else setting.validate(value, f".{key}", setting.code)
    _post_checks(patch, features)
    return patch


def validate_setting_value(name: str, value: Any, features: Features = frozenset()) -> Any:
    """The body of a sub-route update (the bare value; ``None`` = reset) -> normalised value."""
    setting = lookup(name)
    normalized = None if value is None else setting.validate(value, "", setting.code)
    _post_checks({setting.name: normalized}, frozenset(features))
    return normalized


def sub_route_patch(name: str, value: Any, features: Features = frozenset()) -> dict[str, Any]:
    """A sub-route body as a patch for ``apply_patch``/``task_details``: ``{json_name: value}``."""
    return {lookup(name).name: validate_setting_value(name, value, features)}


def reset_all() -> dict[str, None]:
    """The patch of ``DELETE /settings``: every setting reset."""
    return {name: None for name in SETTING_NAMES}


# -- applying ------------------------------------------------------------------------------------

def _all_or_list(value: list[str]) -> list[str]:
    """Any list containing `*` is stored as "all" (read back as ["*"])."""
    return ["*"] if "*" in value else list(value)


def _merge_object(current: dict, patch: dict, default: dict) -> dict:
    """Key-by-key merge where a nested ``None`` resets that key to its default."""
    out = copy.deepcopy(current)
    for key, value in patch.items():
        out[key] = copy.deepcopy(default[key]) if value is None else copy.deepcopy(value)
    return out


def _merge_typo(current: dict, patch: dict, default: dict) -> dict:
    out = copy.deepcopy(current)
    for key, value in patch.items():
        if key == "minWordSizeForTypos" and value is not None:
            sizes = dict(out["minWordSizeForTypos"])
            for sub, size in value.items():
                sizes[sub] = default["minWordSizeForTypos"][sub] if size is None else size
            out[key] = sizes
        else:
            out[key] = copy.deepcopy(default[key]) if value is None else copy.deepcopy(value)
    one, two = out["minWordSizeForTypos"]["oneTypo"], out["minWordSizeForTypos"]["twoTypos"]
    if one > two:
        raise LoupeError("invalid_settings_typo_tolerance", min_word_size_message(one, two))
    return out


def _apply_one(name: str, current: Any, value: Any) -> Any:
    setting = SETTINGS_BY_NAME[name]
    if setting.merge == "embedders":
        return merge_embedders(current or {}, value)
    if value is None:
        return setting.default_value()
    if name in ("displayedAttributes", "searchableAttributes"):
        return _all_or_list(value)
    if setting.merge == "typo":
        return _merge_typo(current, value, setting.default)
    if setting.merge in ("faceting", "object"):
        # sortFacetValuesBy is a plain value inside faceting, hence replaced whole by _merge_object
        return _merge_object(current, value, setting.default)
    return copy.deepcopy(value)


def apply_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """New stored settings. Raises the coded error a task fails with when the merge is invalid."""
    new = {s.name: copy.deepcopy(current.get(s.name, s.default)) for s in SETTINGS}
    for name, value in patch.items():
        new[name] = _apply_one(name, new[name], value)
    return new
