"""One validator per setting: JSON value in, normalised value out, or Meilisearch's coded error.

A validator never sees ``null`` (that is a reset, handled by the caller) and returns the value the
way the *patch* carries it: lists as sent, sets sorted, nested objects with only the keys sent
(``None`` marking a nested reset). Paths are relative to the request body:

    >>> ranking_rules(["words", "price:desc"], ".rankingRules", "invalid_settings_ranking_rules")
    ['words', 'price:desc']
    >>> ranking_rules(["custom"], "", "invalid_settings_ranking_rules")
    Traceback (most recent call last):
    ...
    engine.errors.LoupeError: Invalid value at `[0]`: `custom` ranking rule is invalid. Valid ranking rules are words, typo, sort, proximity, attribute, exactness and custom ranking rules.
"""
from __future__ import annotations

from typing import Any

from ..errors import LoupeError
from .validate import invalid_value, unknown_value
from .checks import (
    U8_MAX,
    check_bool,
    check_enum,
    check_list,
    check_object,
    check_str,
    check_str_list,
    check_str_set,
    check_uint,
    fields,
    missing_field,
)

# -- rankingRules (ranking.md §5) ------------------------------------------------------------------

BUILTIN_RULES = ("words", "typo", "proximity", "attribute", "attributeRank", "wordPosition", "sort", "exactness")
RESERVED_NAMES = ("_geo", "_geoDistance", "_geoPoint", "_geoRadius", "_geoBoundingBox")
MIXED_ATTRIBUTE_RULES = (
    "Mixed usage of the attribute, attributeRank, and wordPosition ranking rules. You must either use "
    "the attribute ranking rule alone or the attributeRank and wordPosition ranking rules."
)


def _reserved_message(name: str) -> str:
    """milli's CriterionError for a reserved field name used as `name:asc|desc`."""
    base = f"`{name}` is a reserved keyword and thus can't be used as a ranking rule"
    if name == "_geoPoint":
        return base + ". `_geoPoint` can only be used for sorting at search time"
    if name in ("_geoRadius", "_geoBoundingBox"):
        return base + f". `{name}` can only be used for filtering at search time"
    return base


def ranking_rule_error(rule: str) -> str | None:
    """Why ``rule`` is not a valid ranking rule, or None. Custom rules split on the *last* `:`."""
    if rule in BUILTIN_RULES:
        return None
    field, sep, direction = rule.rpartition(":")
    if not sep or direction not in ("asc", "desc"):
        return (
            f"`{rule}` ranking rule is invalid. Valid ranking rules are words, typo, sort, proximity, "
            "attribute, exactness and custom ranking rules."
        )
    if field.startswith("_geoPoint"):
        return _reserved_message("_geoPoint")
    if field.startswith("_geoRadius") and (field == "_geoRadius" or field.startswith("_geoRadius(")):
        return _reserved_message("_geoRadius")
    if field == "_geoBoundingBox" or field.startswith("_geoBoundingBox("):
        return _reserved_message("_geoBoundingBox")
    if field in RESERVED_NAMES or field.startswith(("_geo(", "_geoDistance(")):
        return _reserved_message(field)
    return None


def ranking_rules(value: Any, path: str, code: str) -> list[str]:
    rules = check_list(value, path, code)
    for i, rule in enumerate(rules):
        text = check_str(rule, f"{path}[{i}]", code)
        problem = ranking_rule_error(text)
        if problem:
            raise invalid_value(f"{path}[{i}]", problem, code)
    return list(rules)


def check_mixed_attribute_rules(rules: list[str], code: str = "invalid_settings_ranking_rules") -> None:
    """`attribute` is `attributeRank` + `wordPosition`; listing both forms is ambiguous.

    Meilisearch checks this after deserialisation, so the message carries no path.
    """
    if "attribute" in rules and ("attributeRank" in rules or "wordPosition" in rules):
        raise LoupeError(code, MIXED_ATTRIBUTE_RULES)


def custom_rule_field(rule: str) -> str | None:
    """The field a `field:asc|desc` rule sorts on, else None."""
    if rule in BUILTIN_RULES:
        return None
    field, _, _ = rule.rpartition(":")
    return field


# -- attribute lists -------------------------------------------------------------------------------

def attribute_list(value: Any, path: str, code: str) -> list[str]:
    """displayed/searchable: order kept; a `*` anywhere is resolved when the patch is applied."""
    return check_str_list(value, path, code)


def string_set(value: Any, path: str, code: str) -> list[str]:
    return check_str_set(value, path, code)


FILTER_RULE_FIELDS = ("attributePatterns", "features")
FILTER_FEATURES_FIELDS = ("facetSearch", "filter")
FILTER_FILTER_FIELDS = ("equality", "comparison")


def _filter_features(value: Any, path: str, code: str) -> dict:
    features = {"facetSearch": False, "filter": {"equality": True, "comparison": False}}
    for key, item, where in fields(check_object(value, path, code), path, code, FILTER_FEATURES_FIELDS):
        if key == "facetSearch":
            features["facetSearch"] = check_bool(item, where, code)
        else:
            flt = {"equality": True, "comparison": False}
            for sub, flag, sub_where in fields(check_object(item, where, code), where, code, FILTER_FILTER_FIELDS):
                flt[sub] = check_bool(flag, sub_where, code)
            features["filter"] = flt
    return features


def filterable_attributes(value: Any, path: str, code: str) -> list:
    """Strings stay strings; pattern objects are stored with every default spelled out."""
    out: list = []
    for i, rule in enumerate(check_list(value, path, code)):
        where = f"{path}[{i}]"
        if not isinstance(rule, dict):
            out.append(check_str(rule, where, code))
            continue
        patterns, features = None, None
        for key, item, sub_where in fields(rule, where, code, FILTER_RULE_FIELDS):
            if key == "attributePatterns":
                patterns = check_str_list(item, sub_where, code)
            else:
                features = _filter_features(item, sub_where, code)
        if patterns is None:
            raise missing_field("attributePatterns", where, code)
        out.append({"attributePatterns": patterns, "features": features or _filter_features({}, where, code)})
    return out


# -- simple scalars --------------------------------------------------------------------------------

def synonyms(value: Any, path: str, code: str) -> dict[str, list[str]]:
    obj = check_object(value, path, code)
    return {key: check_str_list(words, f"{path}.{key}", code) for key, words in obj.items()}


def distinct_attribute(value: Any, path: str, code: str) -> str:
    return check_str(value, path, code)


def proximity_precision(value: Any, path: str, code: str) -> str:
    return check_enum(value, path, code, ("byWord", "byAttribute"))


def prefix_search(value: Any, path: str, code: str) -> str:
    return check_enum(value, path, code, ("indexingTime", "disabled"))


def facet_search(value: Any, path: str, code: str) -> bool:
    return check_bool(value, path, code)


def search_cutoff_ms(value: Any, path: str, code: str) -> int:
    return check_uint(value, path, code)


# -- PATCH-merged objects --------------------------------------------------------------------------

TYPO_FIELDS = ("enabled", "minWordSizeForTypos", "disableOnWords", "disableOnAttributes", "disableOnNumbers")
MIN_WORD_SIZE_FIELDS = ("oneTypo", "twoTypos")


def min_word_size_message(one: int, two: int) -> str:
    """milli's wording, stray backtick included."""
    return (
        "`minWordSizeForTypos` setting is invalid. `oneTypo` and `twoTypos` fields should be between `0` and "
        "`255`, and `twoTypos` should be greater or equals to `oneTypo` but found "
        f"`oneTypo: {one}` and twoTypos: {two}`."
    )


def _min_word_size(value: Any, path: str, code: str) -> dict:
    sizes: dict[str, int | None] = {}
    for key, item, where in fields(check_object(value, path, code), path, code, MIN_WORD_SIZE_FIELDS):
        sizes[key] = None if item is None else check_uint(item, where, code, maximum=U8_MAX)
    one, two = sizes.get("oneTypo"), sizes.get("twoTypos")
    if one is not None and two is not None and one > two:
        raise invalid_value(path, min_word_size_message(one, two), code)
    return sizes


def typo_tolerance(value: Any, path: str, code: str) -> dict:
    out: dict[str, Any] = {}
    for key, item, where in fields(check_object(value, path, code), path, code, TYPO_FIELDS):
        if item is None:
            out[key] = None
        elif key in ("enabled", "disableOnNumbers"):
            out[key] = check_bool(item, where, code)
        elif key == "minWordSizeForTypos":
            out[key] = _min_word_size(item, where, code)
        else:
            out[key] = check_str_set(item, where, code)
    return out


FACETING_FIELDS = ("maxValuesPerFacet", "sortFacetValuesBy")
FACET_ORDERS = ("alpha", "count")


def faceting(value: Any, path: str, code: str) -> dict:
    out: dict[str, Any] = {}
    for key, item, where in fields(check_object(value, path, code), path, code, FACETING_FIELDS):
        if item is None:
            out[key] = None
        elif key == "maxValuesPerFacet":
            out[key] = check_uint(item, where, code)
        else:
            orders = check_object(item, where, code)
            out[key] = {name: check_enum(order, f"{where}.{name}", code, FACET_ORDERS) for name, order in orders.items()}
            out[key] = dict(sorted(out[key].items()))
    return out


def pagination(value: Any, path: str, code: str) -> dict:
    out: dict[str, Any] = {}
    for key, item, where in fields(check_object(value, path, code), path, code, ("maxTotalHits",)):
        out[key] = None if item is None else check_uint(item, where, code, nonzero=True)
    return out


# -- localizedAttributes ---------------------------------------------------------------------------

# ISO-639-1 -> ISO-639-3 codes Meilisearch accepts (meilisearch-types `locales.rs`), plus `cmn`.
LOCALES: dict[str, str] = dict(
    pair.split(":")
    for pair in (
        "af:afr ak:aka am:amh ar:ara az:aze be:bel bn:ben bg:bul ca:cat cs:ces da:dan de:deu el:ell en:eng "
        "eo:epo et:est fi:fin fr:fra gu:guj he:heb hi:hin hr:hrv hu:hun hy:hye id:ind it:ita jv:jav ja:jpn "
        "kn:kan ka:kat km:khm ko:kor la:lat lv:lav lt:lit ml:mal mr:mar mk:mkd my:mya ne:nep nl:nld nb:nob "
        "or:ori pa:pan fa:pes pl:pol pt:por ro:ron ru:rus si:sin sk:slk sl:slv sn:sna es:spa sr:srp sv:swe "
        "ta:tam te:tel tl:tgl th:tha tk:tuk tr:tur uk:ukr ur:urd uz:uzb vi:vie yi:yid zh:zho zu:zul cy:cym"
    ).split()
)
LOCALE_CODES: dict[str, str] = {**LOCALES, **{v: v for v in LOCALES.values()}, "cmn": "cmn"}
#: in the order of Meilisearch's `Locale` enum (ISO-639-1 codes, ISO-639-3 codes, `cmn`): a JSON
#: value is read as that enum, whose error lists its variants in order
_LOCALES_OF_ENUM = (*LOCALES, *LOCALES.values(), "cmn")
#: a query-string value is parsed with `Locale::from_str`, whose error lists them shortest first,
#: then alphabetically
_LOCALES_LISTED = ", ".join(sorted(LOCALE_CODES, key=lambda c: (len(c), c)))
LOCALIZED_RULE_FIELDS = ("attributePatterns", "locales")


def locale(value: Any, path: str, code: str) -> str:
    """A supported locale of a JSON body, stored as its ISO-639-3 code (what Meilisearch reads
    back); else "Unknown value `x` at `path`: expected one of `af`, `ak`, …"."""
    text = check_str(value, path, code)
    if text not in LOCALE_CODES:
        raise unknown_value(text, path, _LOCALES_OF_ENUM, code)
    return LOCALE_CODES[text]


def locale_of_text(text: str) -> str | None:
    """The ISO-639-3 code of a locale written in a query string, None if unsupported."""
    return LOCALE_CODES.get(text)


def unsupported_locale(text: str) -> str:
    """Meilisearch's explanation of a query-string locale it cannot parse."""
    return f"Unsupported locale `{text}`, expected one of {_LOCALES_LISTED}"


def localized_attributes(value: Any, path: str, code: str) -> list[dict]:
    out = []
    for i, rule in enumerate(check_list(value, path, code)):
        where = f"{path}[{i}]"
        parsed: dict[str, list[str]] = {}
        for key, item, sub in fields(check_object(rule, where, code), where, code, LOCALIZED_RULE_FIELDS):
            if key == "attributePatterns":
                parsed[key] = check_str_list(item, sub, code)
            else:
                parsed[key] = [locale(loc, f"{sub}[{j}]", code) for j, loc in enumerate(check_list(item, sub, code))]
        for required in LOCALIZED_RULE_FIELDS:
            if required not in parsed:
                raise missing_field(required, where, code)
        out.append({"attributePatterns": parsed["attributePatterns"], "locales": parsed["locales"]})
    return out


# -- experimental: foreignKeys, chat ---------------------------------------------------------------

FOREIGN_KEY_FIELDS = ("foreignIndexUid", "fieldName")


def foreign_keys(value: Any, path: str, code: str) -> list[dict]:
    out = []
    for i, item in enumerate(check_list(value, path, code)):
        where = f"{path}[{i}]"
        parsed = {key: check_str(v, sub, code) for key, v, sub in fields(check_object(item, where, code), where, code, FOREIGN_KEY_FIELDS)}
        for required in FOREIGN_KEY_FIELDS:
            if required not in parsed:
                raise missing_field(required, where, code)
        out.append({k: parsed[k] for k in FOREIGN_KEY_FIELDS})
    return out


CHAT_FIELDS = ("description", "documentTemplate", "documentTemplateMaxBytes", "searchParameters")


def chat(value: Any, path: str, code: str) -> dict:
    """Shape only (experimental, low priority): strings, a non-zero byte budget, an object."""
    out: dict[str, Any] = {}
    for key, item, where in fields(check_object(value, path, code), path, code, CHAT_FIELDS):
        if item is None:
            out[key] = None
        elif key in ("description", "documentTemplate"):
            out[key] = check_str(item, where, code)
        elif key == "documentTemplateMaxBytes":
            out[key] = check_uint(item, where, code, nonzero=True)
        else:
            out[key] = check_object(item, where, code)
    return out
