"""The ``sort`` search parameter: ``field:asc|desc`` and ``_geoPoint(lat, lng):asc|desc`` entries.

An entry is split on its *last* colon, so a field name may itself hold colons; the part before it
is either a field or a geo point (filters-facets.md §7):

    >>> parse_sort(["price:desc", "a:b:asc", "_geoPoint(48.8, 2.35):asc"])
    (SortSpec(field='price', ascending=False), SortSpec(field='a:b', ascending=True), GeoSortSpec(lat=48.8, lng=2.35, ascending=True))

Syntax is checked without the index (:func:`parse_sort`); whether the fields may be sorted on
depends on the index settings and is checked later (:func:`check_sort_against_index`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence, Union

from ..errors import LoupeError
from ..facets.values import format_facet_number

SORT_CODE = "invalid_search_sort"
GEO_FIELD = "_geo"

# milli's reserved keywords (`is_reserved_keyword`): they cannot be sorted on by name.
_RESERVED = ("_geo", "_geoDistance", "_geoPoint", "_geoRadius", "_geoBoundingBox", "_geojson", "_geoPolygon")
# these get the "use _geoPoint" hint (names substituted as Meilisearch does)
_GEO_HINT = "Use the _geoPoint(latitude, longitude) built-in rule to sort on _geo field coordinates."


@dataclass(frozen=True, slots=True)
class SortSpec:
    """Sort by a field's facet values."""

    field: str
    ascending: bool


@dataclass(frozen=True, slots=True)
class GeoSortSpec:
    """Sort by distance to a point (nearest first when ascending)."""

    lat: float
    lng: float
    ascending: bool


Sort = Union[SortSpec, GeoSortSpec]


def _error(message: str, code: str) -> LoupeError:
    return LoupeError(code, message)


def _invalid_syntax(entry: str, code: str) -> LoupeError:
    return _error(
        f"Invalid syntax for the sort parameter: expected expression ending by `:asc` or `:desc`, found `{entry}`.", code
    )


def _bad_geo_point(member: str, code: str) -> LoupeError:
    return _error(
        "Invalid syntax for the geo parameter: expected expression formated like `_geoPoint(latitude, longitude)` "
        f"and ending by `:asc` or `:desc`, found `{member}`.",
        code,
    )


def _rust_f64(text: str) -> float | None:
    """Rust's ``str::parse::<f64>`` on an already trimmed string (no `_`, no hex, `inf`/`nan` allowed)."""
    if not text or "_" in text or text.lower().startswith(("0x", "+0x", "-0x")):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _reserved(member: str, code: str) -> LoupeError:
    """A reserved keyword used as a sort member, with the wording milli picks per name."""
    if member.startswith("_geoPoint"):
        return _bad_geo_point(member, code)
    if member == GEO_FIELD:
        return _error(f"`{member}` is a reserved keyword and thus can't be used as a sort expression. {_GEO_HINT}", code)
    for name in ("_geoRadius", "_geoBoundingBox"):
        if member.startswith(name):
            return _error(f"`{name}` is a reserved keyword and thus can't be used as a sort expression. {_GEO_HINT}", code)
    return _error(f"`{member}` is a reserved keyword and thus can't be used as a sort expression.", code)


def _geo_point(member: str, ascending: bool, code: str) -> GeoSortSpec:
    inner = member[len("_geoPoint(") : -1]
    lat_text, comma, lng_text = inner.partition(",")
    lat, lng = _rust_f64(lat_text.strip()), _rust_f64(lng_text.strip())
    if not comma or lat is None or lng is None:
        raise _bad_geo_point(member, code)
    if not -90.0 <= lat <= 90.0:
        raise _error(f"Bad latitude `{format_facet_number(lat)}`. Latitude must be contained between -90 and 90 degrees.", code)
    if not -180.0 <= lng <= 180.0:
        hint = format_facet_number((lng + 180.0) % 360.0 - 180.0)
        raise _error(
            f"Bad longitude `{format_facet_number(lng)}`. Longitude must be contained between -180 and 180 degrees. "
            f"Hint: try using `{hint}` instead.",
            code,
        )
    return GeoSortSpec(lat, lng, ascending)


def parse_sort_entry(entry: str, code: str = SORT_CODE) -> Sort:
    """One ``sort`` entry -> spec, or the coded syntax error milli reports for it."""
    member, colon, direction = entry.rpartition(":")
    if not colon or direction not in ("asc", "desc"):
        raise _invalid_syntax(entry, code)
    ascending = direction == "asc"
    if member.startswith("_geoPoint(") and member.endswith(")"):
        return _geo_point(member, ascending, code)
    if member in _RESERVED or member.startswith(("_geoRadius(", "_geoBoundingBox(", "_geo(", "_geoDistance(")):
        raise _reserved(member, code)
    return SortSpec(member, ascending)


def parse_sort(entries: Iterable[str], code: str = SORT_CODE) -> tuple[Sort, ...]:
    """Every entry in order; the first bad entry raises."""
    return tuple(parse_sort_entry(entry, code) for entry in entries)


def split_sort_query_string(raw: str) -> list[str]:
    """GET ``sort=a:asc,_geoPoint(1, 2):desc`` -> entries; commas inside ``_geoPoint(..)`` are re-joined.

    Same walk as Meilisearch's ``fix_sort_query_parameters``: surrounding double quotes are
    dropped, pieces are trimmed, and pieces following a ``_geoPoint(`` piece are glued back
    (with a bare comma) until one ends with ``):asc`` or ``):desc``.
    """
    entries: list[str] = []
    merging = False
    for piece in (p.strip() for p in raw.strip('"').split(",")):
        if piece.startswith("_geoPoint("):
            entries.append(piece)
            merging = True
        elif merging and entries:
            entries[-1] += "," + piece
            if piece.endswith(("):desc", "):asc")):
                merging = False
        else:
            entries.append(piece)
            merging = False
    return entries


# -- checks against the index settings (ranking.md §5, filters-facets.md §7.2) --------------------

def index_prefix(index_uid: str | None) -> str:
    """Index-level refusals name their index (``Index `movies`: ``), when there is one."""
    return f"Index `{index_uid}`: " if index_uid else ""


def is_sortable(field: str, sortable_attributes: Iterable[str]) -> bool:
    """A listed field, or a sub-field of one (`doggos.age` under `doggos`)."""
    return any(field == s or field.startswith(s + ".") for s in sortable_attributes)


def is_displayed(field: str, displayed: Sequence[str] | None) -> bool:
    """``displayedAttributes`` of ``None``/``["*"]`` shows everything; a listed name shows its sub-fields."""
    if displayed is None or "*" in displayed:
        return True
    return any(field == d or field.startswith(d + ".") for d in displayed)


def available_list(names: Iterable[str], displayed: Sequence[str] | None) -> str:
    """``a, b`` (sorted) with ``, <..hidden-attributes>`` when some names are not displayed."""
    shown = sorted(n for n in set(names) if is_displayed(n, displayed))
    hidden = len(shown) < len(set(names))
    return ", ".join(shown) + (", <..hidden-attributes>" if hidden else "")


def not_sortable_message(field: str, sortable_attributes: Iterable[str], displayed: Sequence[str] | None) -> str:
    names = list(sortable_attributes)
    if not names:
        return f"Attribute `{field}` is not sortable. This index does not have configured sortable attributes."
    return f"Attribute `{field}` is not sortable. Available sortable attributes are: `{available_list(names, displayed)}`."


SORT_RULE_MISSING = (
    "You must specify where `sort` is listed in the rankingRules setting to use the sort parameter at search time."
)


def check_sort_against_index(
    sort: Sequence[Sort] | None,
    sortable_attributes: Iterable[str],
    ranking_rules: Sequence[str],
    displayed: Sequence[str] | None = None,
    index_uid: str | None = None,
    code: str = SORT_CODE,
) -> None:
    """Raise milli's error when ``sort`` cannot run on this index; an empty sort always can.

    The ``sort`` ranking rule must be listed first of all; then each field must be sortable and
    a geo point needs ``_geo`` among ``sortableAttributes``.
    """
    if not sort:
        return
    prefix = index_prefix(index_uid)
    if "sort" not in ranking_rules:
        raise LoupeError(code, prefix + SORT_RULE_MISSING)
    sortable = list(sortable_attributes)
    for spec in sort:
        if isinstance(spec, SortSpec) and not is_sortable(spec.field, sortable):
            raise LoupeError(code, prefix + not_sortable_message(spec.field, sortable, displayed))
        if isinstance(spec, GeoSortSpec) and GEO_FIELD not in sortable:
            raise LoupeError(code, prefix + not_sortable_message(GEO_FIELD, sortable, displayed))
