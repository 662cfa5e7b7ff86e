"""What a query may ask of an index, checked against its settings before anything is searched:
`attributesToSearchOn` must name searchable attributes (ranking.md §3.8), `facets` filterable
ones (filters-facets.md §5.1), `distinct` a filterable one, a semantic search an embedder the index has (hybrid.md §3.1).  Errors carry Meilisearch's codes and the ``Index `uid`: `` prefix."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from ..errors import LoupeError
from ..facets.filterable import FilterableRules, match_legacy, match_pattern
from .sort_spec import available_list, index_prefix

if TYPE_CHECKING:
    from .query import Query


def check_attributes_to_search_on(
    attributes: Sequence[str] | None,
    searchable_setting: Sequence[str] | None,
    displayed: Sequence[str] | None = None,
    index_uid: str | None = None,
) -> None:
    """Reject an entry that names no searchable attribute — only when ``searchableAttributes`` was
    set by the user (``None``/``["*"]`` = the default, where unknown names are silently ignored).
    A ``*`` entry widens the search to every field but does not excuse an unknown name beside it."""
    if not attributes:
        return
    if searchable_setting is None or "*" in searchable_setting:
        return
    for attribute in attributes:
        if attribute == "*":
            continue
        if not any(match_pattern(attribute, s) == "match" or match_legacy(s, attribute) == "match"
                   for s in searchable_setting):
            listed = available_list(searchable_setting, displayed)
            raise LoupeError(
                "invalid_search_attributes_to_search_on",
                f"{index_prefix(index_uid)}Attribute `{attribute}` is not searchable. "
                f"Available searchable attributes are: `{listed}`.",
            )


def _facet_error(message: str, index_uid: str | None) -> LoupeError:
    """Facet distribution errors carry no ``Index `uid`: `` prefix: upstream computes facets after
    the search, outside the error context that names the index."""
    return LoupeError("invalid_search_facets", f"Invalid facet distribution: {message}")


def _not_filterable_facets(invalid: list[str], disabled_by: dict[str, int], rules: FilterableRules) -> str:
    """milli's sentence for the facets that cannot be counted: one name (with the rule-number hint
    when a rule matched it but disables filtering), or all of them at once, sorted."""
    available = rules.filterable_patterns()
    tail = (f"Available filterable attributes patterns are: `{', '.join(available)}`." if available
            else "This index does not have configured filterable attributes.")
    if len(invalid) > 1:
        return f"Attributes `{', '.join(invalid)}` are not filterable. {tail}"
    name = invalid[0]
    n = disabled_by.get(name)
    if n is None:
        return f"Attribute `{name}` is not filterable. {tail}"
    return (f"Attribute `{name}` matched rule #{n} in filterableAttributes, but this rule does not enable "
            f"filtering.\nHint: enable filtering in rule #{n} by modifying the features.filter object\n"
            f"Hint: prepend another rule matching `{name}` with appropriate filter features before rule #{n}")


def _pattern_intersects(pattern: str, rules: FilterableRules, field_names: Sequence[str]) -> bool:
    """Does the request pattern overlap a rule that enables filtering?"""
    for rule in rules.rules:
        if not rule.features.is_filterable:
            continue
        if pattern == "*":
            return True
        for rule_pattern in rule.patterns:
            if match_pattern(pattern, rule_pattern) != "none" or rule.matches(pattern) != "none":
                return True
    return any(match_pattern(pattern, name) == "match" and rules.is_filterable(name) for name in field_names)


def check_facets(
    patterns: Sequence[str] | None,
    filterable_rules: FilterableRules,
    field_names: Sequence[str],
    index_uid: str | None = None,
) -> list[str]:
    """Validate ``facets`` and return the selected field names, sorted (filters-facets.md §5.1).

    A pattern must overlap at least one filtering rule; an exact name whose first matching rule
    disables filtering gets the rule-number hint instead.
    """
    if not patterns:
        return []
    invalid: set[str] = set()
    disabled_by: dict[str, int] = {}  # an invalid name whose first matching rule disables filtering
    for pattern in patterns:
        found = filterable_rules.match(pattern) if "*" not in pattern else None
        if found is not None and not found[1].is_filterable:
            invalid.add(pattern)
            disabled_by[pattern] = found[0]
        elif found is None and not _pattern_intersects(pattern, filterable_rules, field_names):
            invalid.add(pattern)
    if invalid:
        raise _facet_error(_not_filterable_facets(sorted(invalid), disabled_by, filterable_rules), index_uid)
    return sorted(
        name for name in set(field_names)
        if filterable_rules.is_filterable(name) and any(match_pattern(p, name) == "match" for p in patterns)
    )



def check_semantic(query: "Query", embedders: dict,
                   dimensions_of: Callable[[str, dict], int] | None = None) -> None:
    """A search that needs its embedder (hybrid.md §3.1 kinds 4–6) must name one the index has,
    and a query vector must have that embedder's dimensions.  A ratio of 0.0, or neither text nor
    vector, is a keyword search that never looks at the embedder.  ``dimensions_of`` also knows
    the dimensions a generating embedder learnt from its first embedding (0: none yet)."""
    semantic = query.semantic
    if semantic is None or semantic.ratio == 0.0:
        return
    has_text = bool(query.text and query.text.strip())
    if not has_text and semantic.vector is None and semantic.media is None:
        return
    settings = embedders.get(semantic.embedder)
    if settings is None:
        raise LoupeError("invalid_search_embedder", f"Cannot find embedder with name `{semantic.embedder}`.")
    dimensions = settings.get("dimensions") if isinstance(settings, dict) else None
    if dimensions is None and dimensions_of is not None and isinstance(settings, dict):
        dimensions = dimensions_of(semantic.embedder, settings) or None
    if semantic.vector is not None and dimensions is not None and len(semantic.vector) != dimensions:
        raise LoupeError("invalid_vector_dimensions",
                         f"Invalid vector dimensions: expected: `{dimensions}`, found: `{len(semantic.vector)}`.")


def check_distinct(field: str, rules: FilterableRules, uid: str) -> None:
    """A `distinct` parameter must name a filterable attribute (ranking.md §6.5)."""
    if rules.is_filterable(field):
        return
    patterns = rules.filterable_patterns()
    listed = f"Available filterable attributes patterns are: `{', '.join(patterns)}`." if patterns \
        else "This index does not have configured filterable attributes."
    raise LoupeError("invalid_search_distinct",
                     f"Index `{uid}`: Attribute `{field}` is not filterable and thus, cannot be used "
                     f"as distinct attribute. {listed}")
