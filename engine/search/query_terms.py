"""From ``q`` to query terms: the token walk of ranking.md §2 (milli ``parse_query.rs``).

The query is tokenized exactly like documents, then walked once with a position counter (+1 per
word or stop word, +7 per hard separator) so that query positions line up with document positions.
Quotes open and close phrases, a ``-`` after whitespace negates the next word or phrase, the last
token becomes a prefix term, and at most 10 terms are kept.  Worked example (``le`` a stop word)::

    q = 'le "petit prince" -rose, aviateur'

    le        stop word, not last -> dropped           position 0
    "petit prince"                 -> phrase @1..2
    -rose                          -> negative word    position 3
    ", "      hard separator                           +7 -> 10
    aviateur  last token           -> prefix term @11

    terms: [("petit", "prince") phrase @1-2, "aviateur"* @11]; negative_words: ["rose"]
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import limits
from ..tokenizer import SEPARATOR, STOP_WORD, WORD, Token, Tokenizer


@dataclass(frozen=True)
class Term:
    """One positive element of the query: a word or a phrase.

    ``words`` holds one lemma for a word term; for a phrase, one slot per phrase word where a stop
    word is ``None`` (a wildcard that must occupy a position).  ``start``/``end`` are the inclusive
    query positions covered; ``original`` is the query text the term was read from.
    """

    words: tuple[str | None, ...]
    is_phrase: bool
    is_prefix: bool
    start: int
    end: int
    original: str

    @property
    def word(self) -> str:
        """The lemma of a single-word term."""
        assert not self.is_phrase and self.words[0] is not None
        return self.words[0]


@dataclass
class ParsedQuery:
    """Terms in query order, the exclusions, and whether the search is a placeholder search."""

    terms: list[Term] = field(default_factory=list)
    negative_words: list[str] = field(default_factory=list)
    negative_phrases: list[tuple[str | None, ...]] = field(default_factory=list)
    is_placeholder: bool = True


class _Phrase:
    """A phrase being collected between quotes."""

    def __init__(self) -> None:
        self.words: list[str | None] = []
        self.start = -1
        self.end = -1
        self.char_start = -1
        self.char_end = -1

    def is_empty(self) -> bool:
        """Empty or only wildcards: such a phrase is dropped."""
        return all(w is None for w in self.words)

    def push(self, token: Token, position: int) -> None:
        # Upstream quirk kept: leading stop words do not move the start (it is the position of
        # the first real word); trailing ones do extend the end.
        if not self.words:
            self.char_start = token.char_start
        if self.is_empty():
            self.start = position
        self.end = position
        self.char_end = token.char_end
        self.words.append(None if token.kind == STOP_WORD else token.lemma)

    def build(self, q: str) -> Term | None:
        if self.is_empty():
            return None
        original = q[self.char_start:self.char_end]
        return Term(tuple(self.words), True, False, self.start, self.end, original)


def parse_query(
    q: str | None,
    tokenizer: Tokenizer,
    prefix_search: bool = True,
    max_terms: int = limits.MAX_QUERY_TERMS,
) -> ParsedQuery:
    """Walk the tokens of ``q`` into terms, negative words and negative phrases (§2.1-§2.4).

    ``prefix_search`` is false with ``prefixSearch: "disabled"``: then no term is a prefix.

        >>> [t.original for t in parse_query("hello wor", Tokenizer()).terms]
        ['hello', 'wor']
    """
    parsed = ParsedQuery()
    if q is None or not q.strip():
        return parsed

    tokens = tokenizer.tokenize(q)[: limits.MAX_QUERY_TOKENS]
    terms = parsed.terms
    position = -1  # "before 0": the first word lands on 0
    phrase: _Phrase | None = None
    negative_phrase = False
    negative_next = False
    after_whitespace = True  # the very first token counts as preceded by whitespace

    def close(built: Term | None) -> None:
        if built is None:
            return
        if negative_phrase:
            parsed.negative_phrases.append(built.words)
        else:
            terms.append(built)

    for index, token in enumerate(tokens):
        lemma = token.lemma
        if not lemma:
            continue
        if len(terms) >= max_terms:
            phrase = None  # an unfinished phrase at the cut is discarded
            break

        if token.kind in (WORD, STOP_WORD):
            position += 1
            if phrase is not None:
                phrase.push(token, position)
            elif negative_next:
                parsed.negative_words.append(lemma)
                negative_next = False
            elif index + 1 < len(tokens):
                if token.kind == WORD:
                    original = q[token.char_start:token.char_end]
                    terms.append(Term((lemma,), False, False, position, position, original))
            else:
                original = q[token.char_start:token.char_end]
                terms.append(Term((lemma,), False, prefix_search, position, position, original))
        elif token.kind == SEPARATOR:
            if token.hard:
                position += limits.QUERY_HARD_SEPARATOR_PENALTY
                if phrase is not None:
                    # A hard separator inside a phrase closes it and opens a new one; the
                    # negative operator (if any) carries over to the new phrase.
                    close(phrase.build(q))
                    phrase = _Phrase()
            quotes = lemma.count('"')
            if quotes:
                if phrase is not None:
                    quotes -= 1
                    close(phrase.build(q))
                    negative_phrase = False
                    phrase = None
                if quotes % 2 == 1:
                    negative_phrase = negative_next
                    phrase = _Phrase()
            negative_next = phrase is None and lemma == "-" and after_whitespace

        after_whitespace = lemma[-1].isspace()

    if phrase is not None:  # an unclosed quote runs to the end of the query
        close(phrase.build(q))

    parsed.is_placeholder = not terms
    return parsed
