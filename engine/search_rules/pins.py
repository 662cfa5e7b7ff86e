"""Which documents the dynamic search rules pin in one search, and where.

A rule applies to a search while it is active and its conditions hold (milli's
`dynamic_search_rules/condition.rs`):

* ``time``: ``start`` not after the search's time, ``end`` not before it;
* ``query.isEmpty``: the query has no term (true) or at least one (false);
* ``query.words``: the query holds every word of the condition (the condition's words counted with
  their repeats, the query's distinct words compared as typed, no typo, no prefix).  The query's
  words are the search's own, cut with its ``locales`` (else the searched fields'
  localizedAttributes); the condition's words are cut without locales, as milli indexes them in
  its rules index of default settings: under ``locales: ["swe"]`` the query ``blåbär`` keeps its
  å/ä and no longer meets a condition ``blåbär`` (read ``blabar``), and under ``["deu"]`` the query
  ``Weltmeisterschaft`` is ``welt`` + ``meisterschaft`` and meets a condition ``welt``.

Applicable rules are taken by ascending ``precedence``, rules without one last, then in their
internal order; each pin action selects one document by primary key (in the index it names, if
it names one).  A document is pinned once, by the first rule that pins it, and only when the search's
filter keeps it (it need not match the query).  Pins are ordered by position, then precedence.

The ranked page is then built as upstream's `merge_positioned_hits_into_page` builds it: walking the
result positions, a pin whose position is reached takes the slot, otherwise the next organic hit
does; when organic hits run out the remaining pins follow.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from ..tasks.timefmt import parse_datetime_ns
from ..tokenizer import Tokenizer
from .model import Rule

T = TypeVar("T")

# milli's DSR fuel (`DsrFuel::new(10, 1000, 100, ...)` in the search): query words compared with a
# rule's word condition, applicable rules examined, documents pinned.
MAX_COUNTED_WORDS = 10
MAX_ACTIVE_RULES = 1000
MAX_PINS = 100


@dataclass(frozen=True, slots=True)
class Pin:
    docid: int
    position: int
    precedence: int | None

    @property
    def order(self) -> tuple[float, int]:
        """(precedence, position): how pins of several queries are ordered (federated search);
        a rule without precedence comes last."""
        return (float("inf") if self.precedence is None else self.precedence, self.position)


@dataclass(frozen=True)
class SearchFacts:
    """What the conditions look at: the query's single words (as typed, normalized), whether the
    query has any term, the search's time, the searched index."""

    words: frozenset[str]
    is_empty: bool
    now_ns: int
    index_uid: str


@lru_cache(maxsize=256)
def _condition_words(text: str) -> tuple[str, ...]:
    return tuple(Tokenizer().words(text))


def applies(rule: Rule, facts: SearchFacts) -> bool:
    """Whether ``rule`` is active and its conditions hold for the search."""
    if not rule.get("active", True):
        return False
    conditions = rule.get("conditions") or {}
    return _time_holds(conditions.get("time"), facts.now_ns) and _query_holds(conditions.get("query"), facts)


def _time_holds(time: dict[str, str] | None, now_ns: int) -> bool:
    if not time:
        return True
    start = parse_datetime_ns(time["start"]) if "start" in time else None
    end = parse_datetime_ns(time["end"]) if "end" in time else None
    return (start is None or start <= now_ns) and (end is None or end >= now_ns)


def _query_holds(query: dict[str, object] | None, facts: SearchFacts) -> bool:
    if not query:
        return True
    is_empty = query.get("isEmpty")
    if is_empty is not None and is_empty != facts.is_empty:
        return False
    words = query.get("words")
    if words is None:
        return True
    wanted = _condition_words(str(words))
    counted = set(sorted(facts.words)[:MAX_COUNTED_WORDS])  # milli looks at the first ten, sorted
    if len(wanted) > len(counted):
        return False
    return len(set(wanted) & counted) >= len(wanted)


def by_precedence(rules: Iterable[Rule]) -> list[Rule]:
    """Rules with a precedence first, the lowest first; ties and the others in internal order."""
    return sorted(rules, key=lambda r: (r.get("precedence") is None, r.get("precedence") or 0, r["_id"]))


def resolve_pins(rules: Sequence[Rule], facts: SearchFacts, docid_of: Callable[[str], int | None],
                 allowed: Callable[[int], bool]) -> list[Pin]:
    """The pins of a search, in page order.  ``docid_of`` finds a document of the searched index by
    primary key; ``allowed`` tells whether the search's filter keeps it."""
    pins: list[Pin] = []
    pinned: set[int] = set()
    for rule in by_precedence(r for r in rules if applies(r, facts))[:MAX_ACTIVE_RULES]:
        for action in rule.get("actions") or ():
            if len(pins) >= MAX_PINS:
                break
            selector = action["selector"]
            if selector.get("indexUid") not in (None, facts.index_uid):
                continue
            docid = docid_of(selector["id"])
            if docid is None or docid in pinned or not allowed(docid):
                continue
            pinned.add(docid)
            pins.append(Pin(docid, action["action"]["position"], rule.get("precedence")))
    pins.sort(key=lambda pin: (pin.position, pin.order[0]))
    return pins


def merge_page(organic: Iterable[T], pins: Sequence[Pin], skip: int, take: int,
               pin_hit: Callable[[Pin], T]) -> list[T]:
    """Hits [skip, skip + take) of the organic ranking with the pins put at their positions."""
    page: list[T] = []
    for index, hit in enumerate(_merged(iter(organic), pins, pin_hit)):
        if index >= skip + take:
            break
        if index >= skip:
            page.append(hit)
    return page


def _merged(organic: Iterator[T], pins: Sequence[Pin], pin_hit: Callable[[Pin], T]) -> Iterator[T]:
    waiting = list(pins)
    slot = 0
    while True:
        if waiting and waiting[0].position <= slot:
            yield pin_hit(waiting.pop(0))
        else:
            hit = next(organic, None)
            if hit is None:
                yield from (pin_hit(pin) for pin in waiting)
                return
            yield hit
        slot += 1
