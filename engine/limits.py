"""The engine's hard limits, each named once with the reason it exists.

Meilisearch keeps its limits as bare constants scattered over `milli` (`limits.rs`, `lib.rs`,
`update/new/extract/...`); Loupe reproduces the *values* because clients can observe them (a
query's 11th word is ignored, a 300-byte word is not searchable), and adds the *why*.

    >>> from engine import limits
    >>> limits.MAX_QUERY_TERMS
    10

Units: "bytes" means UTF-8 bytes; "chars" means Unicode scalar values (Python ``len``).

"""
from __future__ import annotations

# --- Text analysis (ranking.md §1) ---------------------------------------------------------------

#: A word longer than this (UTF-8 bytes, after normalization) is neither indexed nor given any
#: derivation at search time.  Upstream stores words as LMDB keys (max 511 bytes) next to a field
#: id and a position, and keeps a safety margin; very long "words" are base64 blobs or URLs that
#: nobody types anyway.
MAX_WORD_BYTES = 250

#: Positions are stored as u16 inside one field, so the first 65 536 positions of a field are
#: indexed and later words are dropped.  Bounds the size of the word-position postings of
#: pathological documents (a whole book in one field).
MAX_POSITION_PER_ATTRIBUTE = 65_536

#: Position step between two words separated by at least one *hard* separator (`. `, `!`, `;` …)
#: and between consecutive values of one field (array elements).  Proximity only counts distances
#: up to 7, so 8 means "words in different sentences/values are never near each other".
HARD_SEPARATOR_POSITION_GAP = 8

#: Query side: each hard separator token adds 7 on top of the +1 of the next word, so a query
#: reproduces the document-side gap of 8 (ranking.md §2.2); several hard separators add 7 each.
QUERY_HARD_SEPARATOR_PENALTY = 7

#: `field -> word count -> docids` (used by the exact-attribute rule) is only stored when the field
#: holds at most this many indexed words; longer fields can never be an "exact attribute" match in
#: practice and would only bloat the database.
MAX_FIELD_WORD_COUNT = 30

# --- From q to query terms (ranking.md §2) -------------------------------------------------------

#: At most this many tokens (separators included) of `q` are looked at.  Bounds the work of the
#: token walk for pasted essays.
MAX_QUERY_TOKENS = 1_000

#: At most this many terms (a phrase counts as one, negative words count zero) are kept; the query
#: graph and its n-grams grow combinatorially with the number of terms.
MAX_QUERY_TERMS = 10

# --- Derivations (ranking.md §3) -----------------------------------------------------------------

#: Prefix derivations kept for a last term that is not in the prefix cache.
MAX_PREFIX_DERIVATIONS = 1_000

#: At most this many one-typo and two-typo words per query term (ranking.md §3.2, milli
#: `search/new/limits.rs`): a short word in a large vocabulary has thousands of neighbours, and
#: beyond these the typo rule's buckets only dilute.
MAX_ONE_TYPO_COUNT = 150
MAX_TWO_TYPOS_COUNT = 50

#: Query-term derivations (typo words, prefix words, split, synonyms, class bitmaps) remembered per
#: index version, so search-as-you-type derives each finished word once, not at every keystroke.
DERIVATION_CACHE_ENTRIES = 2_048
#: ...and the bytes of the per-term arrays ranking rules keep with them (position costs, sorted
#: occurrences): past this the cache starts over.
DERIVATION_CACHE_BYTES = 64 * 2**20

#: Decoded postings (word bitmaps, per-field and per-position slots, occurrence arrays) kept per
#: index version for the next searches: the keystrokes of one query re-read mostly the same words.
#: Counted in entries and in the bytes of the stored postings; past either the cache starts over.
POSTINGS_CACHE_ENTRIES = 200_000
POSTINGS_CACHE_BYTES = 128 * 2**20

#: Synonym phrases kept per synonym key (a word or a sequence of words of the query).
MAX_SYNONYM_PHRASES = 50

#: Prefix cache: every prefix of 1..4 chars of an indexed word gets a precomputed docids union, so
#: one-letter queries do not union thousands of postings at search time.
PREFIX_CACHE_MAX_PREFIX_CHARS = 4

#: Meilisearch's word-prefix database holds a prefix of 1..4 *bytes* only when at least this many
#: indexed words share it.  Loupe's cache above needs no such threshold (it is a pure
#: optimisation), but what a prefix term highlights depends on it (formatting.md §3).
UPSTREAM_PREFIX_DB_MAX_BYTES = 4
UPSTREAM_PREFIX_DB_MIN_WORDS = 100

# --- Result sizes --------------------------------------------------------------------------------

#: Default `pagination.maxTotalHits`: deep pagination is capped because bucket sort cost grows with
#: offset + limit.
DEFAULT_MAX_TOTAL_HITS = 1_000

#: Default `faceting.maxValuesPerFacet`.
DEFAULT_MAX_VALUES_PER_FACET = 100

#: `searchCutoffMs` null means this budget for ranking one search (ranking.md §6.3): past it the
#: remaining rules are skipped and the answer is flagged degraded instead of stalling a server.
DEFAULT_SEARCH_CUTOFF_MS = 1_500

#: Facet strings are cut to this many bytes (at a character boundary), as upstream keeps them short
#: enough to fit an LMDB key with its prefix (milli `MAX_FACET_VALUE_LENGTH`).
MAX_FACET_VALUE_BYTES = 468

# --- Documents (tasks.md §5.1, §7) ---------------------------------------------------------------

#: A field's value may nest at most this many arrays and objects, the outermost included.  This is
#: serde_json's default recursion limit, the one upstream's indexer meets when it parses a field's
#: value; deeper values also break Loupe's own JSON encoder (orjson stops at 255 levels), so such a
#: document fails its task before anything is written.
MAX_VALUE_NESTING = 128

#: Field ids are 16-bit (milli's `FieldId` is a u16): an index holds at most this many fields,
#: every dotted path of every document counted once.
MAX_FIELDS = 65_535
