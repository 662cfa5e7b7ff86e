"""The engine's one search API: a typed query in, a typed result out.

Every front door (Meilisearch's JSON today, Qdrant- and turbopuffer-style requests later, a Python
program in process) builds a `Query` and reads a `SearchResult`; none of them hands the core a
request dict or gets JSON back.  What a dialect shows of the result (hit JSON, `_rankingScore`,
envelopes) is its own business::

    >>> from engine import Engine                               # doctest: +SKIP
    >>> result = Engine("./data.ms").index("movies").execute(Query(text="carol", limit=5, scores=True))
    >>> [(hit.docid, round(hit.score, 3)) for hit in result.hits]
    [(0, 1.0), (3, 0.929)]

A query's values are already valid in themselves (a dialect parsed them); what only the index can
tell (an unknown facet, a sort on a field that is not sortable, an unknown embedder) the core checks
and refuses with Meilisearch's error codes, the engine's one error vocabulary.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple, Union

from pyroaring import BitMap

from ..filters.ast import Expr
from ..limits import DEFAULT_MAX_TOTAL_HITS
from .rules.base import Score
from .scores import global_score
from .sort_spec import Sort

FilterInput = Union[Expr, str, list, None]
"""A filter as an AST (already parsed) or as Meilisearch filter text / nested arrays of text."""

MATCHING_STRATEGIES = ("last", "all", "frequency")


@dataclass(frozen=True, slots=True)
class Semantic:
    """The vector half of a search: which embedder, how much it weighs, an optional query vector
    or media to embed (hybrid.md §3).  ``ratio`` 0.0 is a keyword search that never looks at the
    embedder."""

    embedder: str
    ratio: float = 0.5
    vector: tuple[float, ...] | None = None
    media: Any = None


@dataclass(frozen=True)
class Query:
    """One search of one index (ranking.md §2–§8, filters-facets.md §5).

    ``text`` None or blank is a placeholder search.  ``offset``/``limit`` select the ranked page;
    they are capped by the index's ``pagination.maxTotalHits`` (or ``max_total_hits``).
    ``exhaustive`` asks for exact totals (finite pagination): distinct runs over every candidate
    and a score threshold is applied to all of them.  ``scores`` keeps every hit's rule scores
    (a score threshold implies it).  ``ranking_rules`` and ``distinct`` default to the index's
    settings; ``attributes_to_search_on`` restricts the searched fields.
    """

    text: str | None = None
    filter: FilterInput = None
    sort: tuple[Sort, ...] | None = None
    distinct: str | None = None
    offset: int = 0
    limit: int = 20
    exhaustive: bool = False
    facets: tuple[str, ...] | None = None
    matching_strategy: str = "last"
    attributes_to_search_on: tuple[str, ...] | None = None
    ranking_score_threshold: float | None = None
    ranking_rules: tuple[str, ...] | None = None
    max_total_hits: int | None = None
    scores: bool = False
    semantic: Semantic | None = None
    locales: tuple[str, ...] | None = None
    retrieve_vectors: bool = False  # read each hit's embeddings (`SearchResult.vectors`)

    @property
    def needs_scores(self) -> bool:
        return self.scores or self.ranking_score_threshold is not None

    def page_window(self, max_total_hits: int = DEFAULT_MAX_TOTAL_HITS) -> tuple[int, int]:
        """(offset, limit) the bucket sort uses: no hit past ``maxTotalHits`` (ranking.md §6.3)."""
        offset = min(self.offset, max_total_hits)
        return offset, min(self.limit, max_total_hits - offset)


class Hit(NamedTuple):
    """One ranked document: its internal id, its stored JSON (read in the search's snapshot) and
    the scores of the rules that placed it (empty when the query did not ask for scores).  A
    named tuple: a page builds twenty of them per keystroke."""

    docid: int
    stored: bytes | None
    scores: tuple[Score, ...] = ()

    @property
    def score(self) -> float:
        """The global ranking score (ranking.md §8.1)."""
        return global_score(self.scores)


@dataclass(frozen=True, slots=True)
class MatchingTerm:
    """One positive query term and every indexed word it may match, for a formatter to find in a
    document (formatting.md): its normalized word(s), whether the last word is a prefix, the typo
    budget it was given, and its derivations by typo class (class 0: the word, its prefix
    extensions and synonyms; 1 and 2: words at one or two typos, splits and multi-word synonyms
    as phrases).  An n-gram term (``ngram`` > 1) joins consecutive query words into one."""

    words: tuple[str | None, ...]
    is_phrase: bool
    is_prefix: bool
    max_typos: int
    derivations: tuple[tuple[tuple[str | None, ...], ...], ...]
    ngram: int = 1
    positions: tuple[int, int] = (0, 0)  # first and last query position the term covers
    synonyms: tuple[tuple[str, ...], ...] = ()  # also in class 0; a formatter matches them as phrases


@dataclass(frozen=True)
class FacetCounts:
    """facetDistribution and facetStats of the candidates, by field (filters-facets.md §5)."""

    distribution: dict[str, dict[str, int]]
    stats: dict[str, dict[str, float]]


@dataclass
class SearchResult:
    """What one search found.  ``candidates`` are every matching document (after distinct when the
    query was exhaustive); ``total`` is their count capped at ``maxTotalHits``; ``offset``/``limit``
    the page actually ranked.  ``degraded`` means searchCutoffMs cut the ranking short (the
    remaining rules were skipped).  ``displayed`` is the index's displayedAttributes (None: all),
    read in the same snapshot as the hits.  ``tokenizer`` cuts field values the way indexing does,
    without stop words: what `engine.formatter` needs to find the query's words in a hit."""

    hits: list[Hit]
    candidates: BitMap
    total: int
    offset: int
    limit: int
    facets: FacetCounts | None = None
    nodes: tuple[Any, ...] = field(default=(), repr=False)
    displayed: list[str] | None = None
    degraded: bool = False
    processing_ms: int = 0
    tokenizer: Any = field(default=None, repr=False)  # the index's formatting tokenizer (no stop words)
    # path -> the formatting tokenizer of that field's localizedAttributes rule (None: `tokenizer` for all)
    field_tokenizer: Any = field(default=None, repr=False)
    fields: tuple[str, ...] | None = field(default=None, repr=False)  # the index's leaf fields, field-id order
    semantic_hit_count: int | None = None  # semantic and hybrid searches (hybrid.md §5.4)
    query_vector: tuple[float, ...] | None = None  # the vector a semantic search ran with
    vectors: dict[int, dict[str, Any]] | None = field(default=None, repr=False)  # docid -> `_vectors` shown

    @cached_property
    def terms(self) -> tuple[MatchingTerm, ...]:
        """The query's terms with their derivations (computed on first use: most searches never
        format a hit)."""
        return tuple(matching_term(node) for node in self.nodes)


def matching_term(node: Any) -> MatchingTerm:
    """A query graph node (`engine.search.terms.Node`) as the formatter's view of it."""
    classes = tuple(_highlighted_zero_typo(node) if cls == 0 and not node.is_phrase else tuple(node.class_words(cls))
                    for cls in range(node.max_typo + 1))
    return MatchingTerm(words=tuple(node.words), is_phrase=node.is_phrase, is_prefix=node.is_prefix,
                        max_typos=node.max_typo, derivations=classes, ngram=node.ngram,
                        positions=(node.start, node.end), synonyms=tuple(tuple(s) for s in node.synonyms))


def _highlighted_zero_typo(node: Any) -> tuple[tuple[str, ...], ...]:
    """The class-0 words a formatter matches, as Meilisearch's matching words have them
    (formatting.md §3): the word only if it is indexed, so a word found only in fields that are
    not searchable is not highlighted; a prefix's derivations only if its word-prefix database
    does not serve it, so a short common prefix highlights nothing unless it is a word itself.
    Ranking keeps every class-0 word (`Node.class_words`)."""
    out: list[tuple[str, ...]] = [(node.word,)] if node.indexed else []
    if node.is_prefix and not node.prefix_db:
        out.extend((word,) for word in node.prefix_words)
    out.extend(tuple(s) for s in node.synonyms)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class FacetValueCount:
    value: str
    count: int


@dataclass(frozen=True)
class FacetSearchResult:
    """The facet values a facet search found, best first, with their counts."""

    hits: list[FacetValueCount]
    processing_ms: int = 0


__all__ = ["FacetCounts", "FacetSearchResult", "FacetValueCount", "FilterInput", "Hit", "MATCHING_STRATEGIES", "MatchingTerm", "Query", "SearchResult",
           "Semantic"]
