"""A brute-force reference ranker written from ranking.md alone (no code shared with engine/).

It is slow on purpose: every rule enumerates the query graph's paths and, for every path, every
combination of its edges, and computes each edge's documents by scanning the documents' words;
the only caches are pure lookups (the documents holding a word, a phrase or a derivation set).

Choices where ranking.md leaves room, made once here:
* a path "contributes" to a bucket (§7.1) when it has a document of the bucket, in whatever order
  the paths are visited; the child graph is the union of contributing paths, a node's derivations
  the union of those its paths used (typo narrows them to the classes paid for);
* a split word (a phrase derivation) is in a field, for attributeRank, where its first word is
  (the document matching the phrase), as §7.6 places it at its first word;
* typo distance is the optimal-string-alignment form of Damerau-Levenshtein.

Scope (what the random tests generate, see tests/engine/test_reference_ranker.py):
* documents whose searchable fields hold plain text or arrays of plain text (letters, optional
  accents and capitals, and a few separators) - no numbers in searchable text or nested objects
  except the `id` field under searchableAttributes ["*"], which only ever holds digits;
* queries of plain words and separators: no phrases, negative words, stop words or synonyms;
* settings: searchableAttributes (explicit list or ["*"]), default ranking rules, typo tolerance
  and prefix search on their defaults; matchingStrategy last, all or frequency.

Section numbers below refer to ranking.md.
"""
from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from functools import cache

# §1.1: the separators the generator may use, and which of them are hard.
SEPARATOR_CHARS = frozenset(" .,-;!?/:()'\t\n")
HARD_CHARS = frozenset("!?;")
HARD_PAIRS = (". ", ", ")


def tokenize(text: str) -> list[tuple[str, str]]:
    """§1.1: leftmost-longest separators, every separator match its own token.

    Returns (kind, text) with kind 'word', 'soft' or 'hard'; word tokens are normalized (§1.2)."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        if text[i:i + 2] in HARD_PAIRS:
            out.append(("hard", text[i:i + 2]))
            i += 2
            continue
        c = text[i]
        if c in SEPARATOR_CHARS:
            out.append(("hard" if c in HARD_CHARS else "soft", c))
            i += 1
            continue
        j = i
        while j < len(text) and text[j] not in SEPARATOR_CHARS and text[j:j + 2] not in HARD_PAIRS:
            j += 1
        out.append(("word", normalize(text[i:j])))
        i = j
    return out


def normalize(word: str) -> str:
    """§1.2 for Latin text: NFKD, lowercase, non-spacing marks removed, trimmed."""
    decomposed = unicodedata.normalize("NFKD", word).lower()
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").strip()


def field_words(text: str) -> list[tuple[int, str]]:
    """§1.3: (position, word) of one field value; +1 after soft separators, +8 after a hard one."""
    out: list[tuple[int, str]] = []
    pos = None
    hard = False
    for kind, tok in tokenize(text):
        if kind == "word":
            pos = 0 if pos is None else pos + (8 if hard else 1)
            hard = False
            out.append((pos, tok))
        elif kind == "hard":
            hard = True
    return out


def bucket(p: int) -> int:
    """§1.3: bucketed word position."""
    if p < 16:
        return p
    if p < 24:
        return 24
    return 1 << (p - 1).bit_length()


def f_distance(d: int) -> int:
    """§7.6: cost of a query-to-document position distance."""
    for limit, cost in ((0, 0), (1, 1), (4, 2), (7, 3), (11, 4), (16, 5), (24, 6), (64, 7), (256, 8),
                        (1024, 9)):
        if d <= limit:
            return cost
    return 10


@cache
def _osa_row(a: str, b: str) -> tuple[int, ...]:
    """Damerau-Levenshtein distances (an adjacent transposition costing 1, optimal string
    alignment) from `a` to every prefix of `b`, shortest prefix first."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return tuple(rows[-1])


def osa(a: str, b: str) -> int:
    """§3.2 distance between two words."""
    return _osa_row(a, b)[-1]


def prefix_osa(a: str, b: str) -> int:
    """§3.2 prefix automaton: the distance from `a` to the closest prefix of `b`."""
    return min(_osa_row(a, b))


def typo_budget(word: str) -> int:
    """§3.1 with default settings (oneTypo 5, twoTypos 9)."""
    n = len(word)
    if len(word.encode()) > 250 or n < 5:
        return 0
    return 1 if n < 9 else 2


@dataclass(frozen=True)
class Term:
    word: str
    pos: int
    prefix: bool


def parse_query(q: str) -> list[Term]:
    """§2.2 for queries of words and separators only: the last token is a prefix if it is a word."""
    tokens = tokenize(q)
    pos = -1
    terms: list[Term] = []
    for idx, (kind, tok) in enumerate(tokens):
        if kind == "word":
            pos += 1
            if len(terms) == 10:
                break
            terms.append(Term(tok, pos, idx == len(tokens) - 1))
        elif kind == "hard":
            pos += 7
    return terms


@dataclass(frozen=True)
class Node:
    """A query graph node (§4): one term or an n-gram of 2-3 terms, with every derivation's class."""
    key: tuple[int, int]          # first and last original term index it covers
    word: str                     # the word or the n-gram's concatenation
    own_words: tuple[str, ...]
    qstart: int                   # query positions (§2.2)
    qend: int
    budget: int
    prefix: bool
    classes: dict                 # derivation -> typo class (0, 1, 2)

    @property
    def nwords(self) -> int:
        return self.key[1] - self.key[0] + 1

    @property
    def is_ngram(self) -> bool:
        return self.nwords > 1


def fold(ranks: list[tuple[int, int]]) -> float:
    """§8.1: the mixed-radix fold of (rank, max_rank) pairs."""
    r, m = 1, 1
    for rank, max_rank in ranks:
        r, m = max(r - 1, 0) * max_rank + rank, m * max_rank
    return r / m


class Graph:
    """Nodes (term-index range -> allowed derivations) and the edges of the paths they came from."""

    def __init__(self, subsets: dict, edges: set):
        self.subsets = subsets
        self.edges = edges

    @classmethod
    def from_paths(cls, paths) -> Graph:
        """Union of paths, each a sequence of (node key, used derivations)."""
        subsets: dict = {}
        edges: set = set()
        for path in paths:
            prev = "S"
            for key, used in path:
                subsets[key] = subsets.get(key, frozenset()) | used
                edges.add((prev, key))
                prev = key
            edges.add((prev, "E"))
        return cls(subsets, edges)

    def paths(self) -> list[tuple]:
        out: list[tuple] = []

        def walk(at, acc):
            for a, b in sorted(self.edges, key=lambda e: (str(e[0]), str(e[1]))):
                if a != at:
                    continue
                if b == "E":
                    out.append(tuple(acc))
                else:
                    walk(b, acc + [b])
        walk("S", [])
        return out


class Corpus:
    """The indexed view of documents (§1.3). `docs` in insertion order: docid = list index."""

    def __init__(self, docs: list[dict], searchable: list[str] | None):
        self.searchable = searchable  # None = ["*"]
        self.occ: list[dict[str, list[tuple[int, str]]]] = []
        for doc in docs:
            fields = {}
            names = searchable if searchable is not None else list(doc)
            for name in names:
                if name not in doc:
                    continue
                value = doc[name]
                words: list[tuple[int, str]] = []
                for item in (value if isinstance(value, list) else [value]):
                    # §1.3: the next value of the same field starts 8 after the last position
                    offset = words[-1][0] + 8 if words else 0
                    words += [(offset + p, w) for p, w in field_words(item if isinstance(item, str) else str(item))]
                if words:
                    fields[name] = words
            self.occ.append(fields)
        self.ndocs = len(docs)
        self._phrases: dict = {}
        self.vocab = sorted({w for fields in self.occ for ws in fields.values() for _, w in ws})
        self.word_docs: dict[str, set[int]] = {}
        for d, fields in enumerate(self.occ):
            for ws in fields.values():
                for _, w in ws:
                    self.word_docs.setdefault(w, set()).add(d)

    def weight(self, field: str) -> int:
        """§7.5: index of the field in an explicit searchableAttributes list, else 0."""
        return 0 if self.searchable is None else self.searchable.index(field)

    def max_weight(self) -> int:
        return 0 if self.searchable is None else len(self.searchable) - 1

    def phrase_docs(self, phrase: tuple[str, str]) -> frozenset:
        """§2.3 for a two-word phrase: the pair at distance 1 in one field."""
        if phrase in self._phrases:
            return self._phrases[phrase]
        left, right = phrase
        out = set()
        for d in self.word_docs.get(left, ()):
            for ws in self.occ[d].values():
                lefts = {p for p, w in ws if w == left}
                if any(w == right and p - 1 in lefts for p, w in ws):
                    out.add(d)
                    break
        self._phrases[phrase] = frozenset(out)
        return self._phrases[phrase]

    def deriv_docs(self, deriv) -> frozenset:
        kind, value = deriv
        if kind == "w":
            return frozenset(self.word_docs.get(value, ()))
        return self.phrase_docs(value)

    def occurrences(self, deriv, doc: int, which: str) -> list[tuple[str, int]]:
        """(field, position) through which a derivation is seen in a document.

        A word: its occurrences. A phrase (split word), only where it matches: its last word when it
        is the left side of a proximity pair, else its first word (§7.4, §7.6)."""
        kind, value = deriv
        if kind == "w":
            word = value
        else:
            if doc not in self.phrase_docs(value):
                return []
            word = value[-1] if which == "last" else value[0]
        return [(f, p) for f, ws in self.occ[doc].items() for p, w in ws if w == word]

    def fields_of(self, deriv, doc: int) -> set[str]:
        """Fields of a document containing a derivation; a phrase (where it matches) is seen
        through its first word, as in wordPosition (§7.5 with §7.6)."""
        return {f for f, _ in self.occurrences(deriv, doc, "first")}

    def best_split(self, word: str):
        """§3.4: the split point with the most documents holding `left right`; earliest on ties."""
        best, best_count = None, 0
        for k in range(1, len(word)):
            pair = (word[:k], word[k:])
            count = len(self.phrase_docs(pair))
            if count > best_count:
                best, best_count = pair, count
        return best


class Search:
    """One keyword search: derivations (§3), query graph (§4), rules (§7) and bucket sort (§6)."""

    RULES = ("words", "typo", "proximity", "attributeRank", "wordPosition", "exactAttribute", "exactWords")

    def __init__(self, corpus: Corpus, q: str, strategy: str = "last", approximate: bool = False):
        """`approximate`: the shortcut §9 allows for §7.1's reduced graph, instead of the letter of
        §7.1: a words bucket keeps every node some document of the bucket matches (not only the
        nodes of the paths that matched), and proximity, attributeRank and wordPosition hand on
        the graph they received (typo still hands on the typo classes its paths used)."""
        self.corpus = corpus
        self.approximate = approximate
        # Situations met while ranking that a caller may want to know about (see the test):
        # "words-node-level", "late-reduction": the approximation above may change the answer (a
        #   words bucket keeps more nodes, or a later rule would reduce the graph);
        # "ngram-over-removed": a words bucket matched through an n-gram that joins a term removed
        #   at that step (possible with matchingStrategy frequency only: with `last` a document
        #   matching such a path already matched an earlier step).
        self.notes: set[str] = set()
        self.strategy = strategy
        self.terms = parse_query(q)
        self.nodes: dict[tuple[int, int], Node] = {}
        self._build_nodes()
        self._docs_cache: dict = {}

    # ---- §3 derivations and §3.5 n-grams --------------------------------------------------------

    def _derivations(self, word: str, budget: int, prefix: bool, own_words) -> dict:
        vocab = self.corpus.vocab
        classes: dict = {}
        if word in self.corpus.word_docs:
            classes[("w", word)] = 0
        if prefix:
            for x in vocab:
                if x != word and x.startswith(word):
                    classes[("w", x)] = 0
        if budget:
            for x in vocab:
                if ("w", x) in classes:
                    continue
                d = prefix_osa(word, x) if prefix else osa(word, x)
                if x[0] == word[0]:
                    if d == 1:
                        classes[("w", x)] = 1
                    elif d == 2 and budget == 2:
                        classes[("w", x)] = 2
                elif d == 1 and budget == 2:
                    classes[("w", x)] = 2
        split = self.corpus.best_split(word)
        if split is not None and not (len(own_words) == 2 and split == own_words):
            classes[("p", split)] = 1
        return classes

    def _build_nodes(self) -> None:
        terms = self.terms
        for i, t in enumerate(terms):
            b = typo_budget(t.word)
            self.nodes[(i, i)] = Node((i, i), t.word, (t.word,), t.pos, t.pos, b, t.prefix,
                                      self._derivations(t.word, b, t.prefix, (t.word,)))
        for size in (2, 3):
            for i in range(len(terms) - size + 1):
                group = terms[i:i + size]
                if any(group[k].pos + 1 != group[k + 1].pos for k in range(size - 1)):
                    continue
                concat = "".join(t.word for t in group)
                if len(concat.encode()) > 250:
                    continue
                b = max(0, typo_budget(concat) - (size - 1))
                words = tuple(t.word for t in group)
                self.nodes[(i, i + size - 1)] = Node((i, i + size - 1), concat, words, group[0].pos,
                                                     group[-1].pos, b, group[-1].prefix,
                                                     self._derivations(concat, b, group[-1].prefix, words))

    def full_graph(self) -> Graph:
        n = len(self.terms)
        subsets = {key: frozenset(node.classes) for key, node in self.nodes.items()}
        edges = set()
        for (i, j) in self.nodes:
            if i == 0:
                edges.add(("S", (i, j)))
            if j == n - 1:
                edges.add(((i, j), "E"))
            for (k, l) in self.nodes:
                if k == j + 1:
                    edges.add(((i, j), (k, l)))
        return Graph(subsets, edges)

    def docs_of(self, subset: frozenset) -> frozenset:
        if subset not in self._docs_cache:
            out: set = set()
            for deriv in subset:
                out |= self.corpus.deriv_docs(deriv)
            self._docs_cache[subset] = frozenset(out)
        return self._docs_cache[subset]

    # ---- §4 matching strategy ------------------------------------------------------------------

    def _index_costs(self) -> dict[int, int] | None:
        """Removal cost of every original term index (§4); None when nothing is removable."""
        n = len(self.terms)
        if self.strategy == "all" or n <= 1:
            return None
        if self.strategy == "last":
            return {i: n - i for i in range(n)}
        counts = {}
        for i in range(n):
            docs: set = set()
            for key, node in self.nodes.items():
                if key[0] <= i <= key[1]:
                    docs |= self.docs_of(frozenset(node.classes))
            counts[i] = len(docs) if docs else float("inf")
        levels = sorted(set(counts.values()), reverse=True)
        return {i: levels.index(c) + 1 for i, c in counts.items()}

    def _removal_steps(self):
        """[(term indexes removed so far, node keys removed)] for each words step, first = none."""
        costs = self._index_costs()
        if costs is None:
            return [(0, frozenset())]
        top = max(costs.values())
        steps = []
        for s in range(top):  # the highest group is never removed (no phrases here)
            node_removed = frozenset(k for k in self.nodes if max(costs[i] for i in range(k[0], k[1] + 1)) <= s)
            steps.append((sum(1 for c in costs.values() if c <= s), node_removed))
        return steps

    def _match(self, graph: Graph, removed: frozenset, universe) -> list[tuple[tuple, frozenset]]:
        """Every path of the graph with its removed nodes skipped, and its documents."""
        seen = {}
        for path in graph.paths():
            kept = tuple(k for k in path if k not in removed)
            if kept in seen:
                continue
            docs = set(universe)
            for k in kept:
                docs &= self.docs_of(graph.subsets[k])
            seen[kept] = frozenset(docs)
        return list(seen.items())

    # ---- the rules -----------------------------------------------------------------------------

    def rule_words(self, graph: Graph, universe):
        steps = self._removal_steps()
        removable = steps[-1][0]
        max_rank = 1 + removable
        remaining = set(universe)
        for cost, removed in steps:
            good = [(kept, docs & remaining) for kept, docs in self._match(graph, removed, remaining)]
            good = [(kept, docs) for kept, docs in good if docs]
            if not good:
                continue
            bucket = set().union(*(docs for _, docs in good))
            remaining -= bucket
            gone = {i for i in range(len(self.terms)) if (i, i) in removed}
            if any(k[0] < k[1] and k[0] <= i <= k[1] for kept, _ in good for k in kept for i in gone):
                self.notes.add("ngram-over-removed")
            child = Graph.from_paths([[(k, graph.subsets[k]) for k in kept] for kept, _ in good])
            matched = {k for k in self.nodes if k not in removed and k in graph.subsets
                       and self.docs_of(graph.subsets[k]) & bucket}
            by_node = Graph.from_paths([[(k, graph.subsets[k]) for k in kept]
                                        for kept, _ in self._match(graph, removed, ())
                                        if all(k in matched for k in kept)])
            if (by_node.subsets, by_node.edges) != (child.subsets, child.edges):
                self.notes.add("words-node-level")
                if self.approximate:
                    child = by_node
            rank = max_rank - cost
            yield bucket, (rank, max_rank), child, {"matchingWords": rank, "maxMatchingWords": max_rank}

    def _graph_rule(self, graph: Graph, universe, edges_of, detail, rule):
        """§7.1: buckets by increasing path cost; the child graph keeps what contributing paths used
        ("contributing" = having a document in the bucket, whatever the order paths are visited)."""
        instances = []
        c_max = 0
        for path in graph.paths():
            options = []
            prev = None
            for key in path:
                options.append(edges_of(graph, prev, key, universe))
                prev = key
            c_max = max(c_max, sum(max(c for c, _, _ in opts) for opts in options))
            for combo in itertools.product(*options):
                docs = set(universe)
                for _, cond, _ in combo:
                    docs &= cond
                    if not docs:
                        break
                if docs:
                    instances.append((sum(c for c, _, _ in combo), [(k, used) for k, (_, _, used) in zip(path, combo)],
                                      docs))
        remaining = set(universe)
        max_rank = c_max + 1
        for cost in range(c_max + 1):
            good = [(used, docs & remaining) for c, used, docs in instances if c == cost and docs & remaining]
            if not good:
                continue
            bucket = set().union(*(docs for _, docs in good))
            remaining -= bucket
            child = Graph.from_paths([used for used, _ in good])
            if rule != "typo" and (child.subsets, child.edges) != (graph.subsets, graph.edges):
                self.notes.add("late-reduction")
                if self.approximate:
                    child = graph
            yield bucket, (max_rank - cost, max_rank), child, \
                detail(max_rank - cost, max_rank)
        assert not remaining, f"documents placed in no bucket: {remaining}"

    def rule_typo(self, graph, universe):
        def edges(graph, prev, key, universe):
            node = self.nodes[key]
            subset = graph.subsets[key]
            top = 1 if node.budget == 0 else node.budget
            base = node.nwords if node.is_ngram else 0
            out = []
            for t in range(top + 1):
                used = frozenset(d for d in subset if node.classes[d] == t)
                out.append((base + t, self.docs_of(used), used))
            return out
        return self._graph_rule(graph, universe, edges,
                                lambda r, m: {"typoCount": m - r, "maxTypoCount": m - 1}, "typo")

    def _close(self, doc: int, left: frozenset, right: frozenset, extra: int) -> bool:
        """§7.4: does the document hold a (left, right) pair at the proximity of cost g + extra?"""
        corpus = self.corpus
        for dl in left:
            if doc not in corpus.deriv_docs(dl):
                continue
            lpos = corpus.occurrences(dl, doc, "last")
            for dr in right:
                if doc not in corpus.deriv_docs(dr):
                    continue
                reversible = dl[0] == "w" and dr[0] == "w"
                for fr, pr in corpus.occurrences(dr, doc, "first"):
                    for fl, pl in lpos:
                        if fl != fr:
                            continue
                        delta = pr - pl
                        if delta == extra + 1 or (reversible and extra > 0 and delta == -extra):
                            return True
        return False

    def rule_proximity(self, graph, universe):
        def edges(graph, prev, key, universe):
            node = self.nodes[key]
            subset = graph.subsets[key]
            g = node.nwords - 1
            docs = self.docs_of(subset)
            if prev is None or self.nodes[prev].qend + 1 != node.qstart:
                return [(g, docs, subset)]
            left = graph.subsets[prev]
            both = docs & self.docs_of(left) & universe
            out = [(g + extra, {d for d in both if self._close(d, left, subset, extra)}, subset)
                   for extra in range(3)]
            out.append((g + 3, docs, subset))
            return out
        return self._graph_rule(graph, universe, edges, lambda r, m: {}, "proximity")

    def rule_attribute_rank(self, graph, universe):
        corpus = self.corpus

        def edges(graph, prev, key, universe):
            node = self.nodes[key]
            subset = graph.subsets[key]
            by_field: dict[str, set] = {}
            for d in self.docs_of(subset) & universe:
                for deriv in subset:
                    if d in corpus.deriv_docs(deriv):
                        for f in corpus.fields_of(deriv, d):
                            by_field.setdefault(f, set()).add(d)
            out = [(corpus.weight(f) * node.nwords, docs, subset) for f, docs in by_field.items()]
            out.append((corpus.max_weight() * node.nwords, set(), subset))
            return out
        return self._graph_rule(graph, universe, edges, lambda r, m: {}, "attributeRank")

    def rule_word_position(self, graph, universe):
        corpus = self.corpus

        def edges(graph, prev, key, universe):
            node = self.nodes[key]
            subset = graph.subsets[key]
            by_pos: dict[int, set] = {}
            for d in self.docs_of(subset) & universe:
                for deriv in subset:
                    for _, p in corpus.occurrences(deriv, d, "first"):
                        by_pos.setdefault(bucket(p), set()).add(d)
            out = []
            for p, docs in by_pos.items():
                distance = abs(p - node.qstart)
                out.append((sum(f_distance(distance + j) for j in range(node.nwords)), docs, subset))
            out.append((10 * node.nwords, set(), subset))
            return out
        return self._graph_rule(graph, universe, edges, lambda r, m: {}, "wordPosition")

    def _exact_terms(self, graph: Graph) -> list[Node]:
        """§7.7 step 1: single-term nodes whose original word is still allowed with 0 typos."""
        out = {}
        for key, subset in graph.subsets.items():
            node = self.nodes[key]
            if not node.is_ngram and ("w", node.word) in subset:
                out.setdefault(key[0], node)
        return [out[i] for i in sorted(out)]

    def rule_exact_attribute(self, graph, universe):
        corpus = self.corpus
        exact = self._exact_terms(graph)
        ok = bool(exact) and [n.key[0] for n in exact] == list(range(len(exact)))
        exact_match, starts = set(), set()
        if ok:
            words = [n.word for n in exact]
            count = sum(n.nwords for n in exact)
            for d in universe:
                fields = corpus.occ[d]
                at_position = all(any(w == n.word and bucket(p) == bucket(n.qstart) for ws in fields.values()
                                      for p, w in ws) for n in exact)
                holding = [f for f, ws in fields.items() if set(words) <= {w for _, w in ws}]
                if not at_position or not holding:
                    continue
                if any(len(fields[f]) <= 30 and len(fields[f]) == count for f in holding):
                    exact_match.add(d)
                else:
                    starts.add(d)
        rest = set(universe) - exact_match - starts
        for docs, rank, name in ((exact_match, 3, "exactMatch"), (starts, 2, "matchesStart"),
                                 (rest, 1, "noExactMatch")):
            if docs:
                yield docs, (rank, 3), graph, {"matchType": name}

    def rule_exact_words(self, graph, universe):
        def edges(graph, prev, key, universe):
            node = self.nodes[key]
            subset = graph.subsets[key]
            anyd = self.docs_of(subset)
            if node.is_ngram or ("w", node.word) not in subset:
                return [(node.nwords, anyd, subset)]
            return [(0, self.corpus.deriv_docs(("w", node.word)), subset), (node.nwords, anyd, subset)]
        return self._graph_rule(graph, universe, edges,
                                lambda r, m: {"matchingWords": r - 1, "maxMatchingWords": m - 1}, "exactWords")

    # ---- §6 bucket sort ------------------------------------------------------------------------

    def run(self) -> list[tuple[int, float, list]]:
        """[(docid, _rankingScore, [(rule, (rank, max_rank), detail)])] best first."""
        if not self.terms:
            raise ValueError("placeholder searches are out of scope")
        rules = [r for r in self.RULES if not (r == "words" and self.strategy == "all")]
        impl = {"words": self.rule_words, "typo": self.rule_typo, "proximity": self.rule_proximity,
                "attributeRank": self.rule_attribute_rank, "wordPosition": self.rule_word_position,
                "exactAttribute": self.rule_exact_attribute, "exactWords": self.rule_exact_words}
        graph = self.full_graph()
        steps = self._removal_steps()
        universe = set()
        for _, docs in self._match(graph, steps[-1][1], range(self.corpus.ndocs)):
            universe |= docs
        out: list = []

        def visit(i, universe, graph, trail):
            if not universe:
                return
            if i == len(rules):
                for d in sorted(universe):
                    out.append((d, fold([rank for _, rank, _ in trail]), trail))
                return
            for docs, rank, child, detail in impl[rules[i]](graph, universe):
                visit(i + 1, docs, child, trail + [(rules[i], rank, detail)])
        visit(0, universe, graph, [])
        return out
