"""In-process peers for the search benchmark: tantivy (Python bindings) and SQLite FTS5.

Both peers answer the same `Request` that `bench/search.py` sends to Loupe over HTTP, and answer
with the same `Answer` (ids, exact total, facet counts, hit documents), so one checker can judge all
three engines. Each peer is built in a fresh interpreter (`python bench/peers.py build ...`) so that
its build time, store size and peak RSS are its own and not the benchmark process's:

    build = build_peer("tantivy", corpus_path, workdir)     # {"seconds", "disk_mb", "rss_mb", "path"}
    peer = TantivyPeer(build["path"])
    answer = peer.search(Request(q="python3 dj", facets=["section"]))
    answer.ids[:3], answer.total, answer.facets

How the peers approximate Meilisearch's matching (the rules in queries/README.md):
* Query words are the runs of ASCII letters and digits of the lowercased query. The last word is a
  prefix unless the query ends with a space (search-as-you-type), and every word must match
  (Meilisearch's matchingStrategy `last` only drops words when nothing matches all of them).
* tantivy: per word, a Boolean "should" of exact TermQuery per field (BM25, boosted name > summary >
  description) and FuzzyTermQuery per field with Meilisearch's typo budget (0 below 5 characters,
  1 for 5-8, 2 for 9+; `prefix=True` on the last word); words are ANDed. Fuzzy matches score a
  constant in tantivy, so the exact TermQuery clauses are what rank the true spellings first.
* FTS5: no typo tolerance exists, so each word is a quoted FTS5 string, the last one with `*`
  (served by the `prefix='1 2 3'` indexes), ranked by bm25 with the same column weights.
Filters come from `filter_clauses` (the structured form of the Meilisearch filter), facets are exact
counts over all matches, and sorting is strict (ORDER BY / order_by_field), the peer's natural way.
Each hit's original JSON document is fetched from the peer's own store and decoded, so every engine
pays for handing documents back, as Loupe does in its HTTP answer.
"""
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on sys.path, where bench/tokenize.py shadows the standard
# library's tokenize (imported by dataclasses via inspect). Search bench/ last instead.
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p and str(Path(p).resolve()) != _BENCH] + [_BENCH]

import argparse
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import orjson

FACET_FIELDS = ("section", "priority", "architecture", "tags")
"""String fields that can be filtered and faceted (tags is an array)."""
SEARCHABLE = ("name", "summary", "description")
"""Searchable fields, most important first (Meilisearch's attributeRank order)."""
FIELD_BOOSTS = {"name": 3.0, "summary": 2.0, "description": 1.0}
"""BM25 weights per field: the same order of importance as searchableAttributes."""
FUZZY_BOOST = 0.5
"""Weight of a fuzzy (typo or prefix) match, below any exact match of the word."""
FTS5_PREFIXES = "1 2 3"
"""FTS5 prefix indexes: typing.jsonl starts at one character."""
TANTIVY_HEAP = 200_000_000
"""tantivy writer memory budget (bytes): the whole corpus fits in one segment."""
MAX_FACET_VALUES = 100_000
"""Terms-aggregation size: more than the number of distinct values of any facet."""
_WORD = re.compile(r"[0-9a-z]+")


@dataclass
class Request:
    """One search, in the shape of the query workloads (see queries/README.md)."""

    q: str = ""
    clauses: list[dict] = field(default_factory=list)
    facets: list[str] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)
    limit: int = 20
    one_typo_from: int = 5  # typo budget: 1 typo from this many characters (Meilisearch's oneTypo)


@dataclass
class Answer:
    """What an engine returned: hit ids in rank order, the total and facet counts when asked."""

    ids: list[str]
    total: int | None = None
    facets: dict[str, dict[str, int]] | None = None
    hits: list[dict] = field(default_factory=list)


def query_words(q: str) -> tuple[list[str], bool]:
    """Split `q` into words; the flag says the last word is a prefix (no trailing separator)."""
    words = _WORD.findall(q.lower())
    last_is_prefix = bool(words) and bool(_WORD.match(q.lower()[-1]))
    return words, last_is_prefix


def typo_budget(word: str, one_typo_from: int = 5) -> int:
    """Meilisearch's typo budget: 1 typo from `one_typo_from` characters (5 by default), 2 from 9."""
    return 0 if len(word) < one_typo_from else 1 if len(word) < 9 else 2


def read_corpus(path: Path) -> Iterator[tuple[dict, bytes]]:
    """(document, original JSON line) for each line of an NDJSON corpus."""
    with open(path, "rb") as handle:
        for line in handle:
            line = line.strip()
            if line:
                yield orjson.loads(line), line


def parse_sort(sort: list[str]) -> tuple[str, bool] | None:
    """`["installed_size:desc"]` -> ("installed_size", True); None without sort."""
    if not sort:
        return None
    name, _, direction = sort[0].partition(":")
    return name, direction == "desc"


# ---------------------------------------------------------------- tantivy

def tantivy_schema():
    """Text fields for search, raw fast fields for filters/facets/sort, the source for hits."""
    import tantivy
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in SEARCHABLE:
        builder.add_text_field(name, tokenizer_name="default", index_option="position")
    builder.add_text_field("name_sort", fast=True, tokenizer_name="raw", index_option="basic")
    for name in FACET_FIELDS:
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("installed_size", indexed=True, fast=True)
    builder.add_bytes_field("source", stored=True)
    return builder.build()


def build_tantivy(corpus: Path, out: Path) -> int:
    """Index the corpus into a tantivy directory at `out`; returns the document count."""
    import tantivy
    out.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(tantivy_schema(), path=str(out))
    writer = index.writer(heap_size=TANTIVY_HEAP, num_threads=1)
    count = 0
    for doc, line in read_corpus(corpus):
        document = tantivy.Document()
        document.add_text("id", str(doc["id"]))
        for name in SEARCHABLE:
            if doc.get(name):
                document.add_text(name, doc[name])
        document.add_text("name_sort", doc.get("name", ""))
        for name in ("section", "priority", "architecture"):
            if doc.get(name) is not None:
                document.add_text(name, str(doc[name]))
        for tag in doc.get("tags") or []:
            document.add_text("tags", tag)
        if doc.get("installed_size") is not None:
            document.add_integer("installed_size", int(doc["installed_size"]))
        document.add_bytes("source", line)
        writer.add_document(document)
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


class TantivyPeer:
    """Searches a tantivy directory built by `build_tantivy`."""

    name = "tantivy"

    def __init__(self, path: Path):
        import tantivy
        self.tv = tantivy
        self.index = tantivy.Index.open(str(path))
        self.schema = self.index.schema
        self.searcher = self.index.searcher()

    def _word_query(self, word: str, prefix: bool, one_typo_from: int = 5):
        """Exact term (BM25) or a fuzzy/prefix variant, in any searchable field."""
        tv, clauses = self.tv, []
        distance = typo_budget(word, one_typo_from)
        for name in SEARCHABLE:
            clauses.append((tv.Occur.Should, tv.Query.boost_query(
                tv.Query.term_query(self.schema, name, word), FIELD_BOOSTS[name])))
            if distance or prefix:
                fuzzy = tv.Query.fuzzy_term_query(self.schema, name, word, distance=distance,
                                                  transposition_cost_one=True, prefix=prefix)
                clauses.append((tv.Occur.Should, tv.Query.boost_query(fuzzy, FUZZY_BOOST)))
        return tv.Query.boolean_query(clauses)

    def _clause_query(self, clause: dict):
        """One structured filter clause as a tantivy query."""
        tv = self.tv
        if clause["op"] == "=":
            return tv.Query.term_query(self.schema, clause["field"], clause["value"])
        if clause["op"] == "in":
            return tv.Query.term_set_query(self.schema, clause["field"], clause["values"])
        lower = clause.get("gte", clause.get("gt"))
        upper = clause.get("lte", clause.get("lt"))
        return tv.Query.range_query(self.schema, clause["field"], tv.FieldType.Integer, lower, upper,
                                    include_lower="gt" not in clause, include_upper="lt" not in clause)

    def query(self, request: Request):
        """The full query: every word must match, and every filter clause."""
        tv = self.tv
        words, last_is_prefix = query_words(request.q)
        musts = [(tv.Occur.Must, self._word_query(w, last_is_prefix and i == len(words) - 1,
                                                          request.one_typo_from))
                 for i, w in enumerate(words)]
        musts += [(tv.Occur.Must, self._clause_query(c)) for c in request.clauses]
        if not musts:
            return tv.Query.all_query()
        if len(musts) == 1 and not request.clauses:
            return musts[0][1]
        return tv.Query.boolean_query(musts)

    def search(self, request: Request) -> Answer:
        query = self.query(request)
        sort = parse_sort(request.sort)
        if sort:
            field_name = "name_sort" if sort[0] == "name" else sort[0]
            order = self.tv.Order.Desc if sort[1] else self.tv.Order.Asc
            result = self.searcher.search(query, request.limit, count=True, order_by_field=field_name,
                                          order=order)
        else:
            result = self.searcher.search(query, request.limit, count=True)
        hits = [orjson.loads(self.searcher.doc(address).get_first("source")) for _key, address in result.hits]
        facets = self._facets(query, request.facets) if request.facets else None
        return Answer([str(h["id"]) for h in hits], result.count, facets, hits)

    def _facets(self, query, names: list[str]) -> dict[str, dict[str, int]]:
        """Exact value counts per facet field over every match (one terms aggregation each)."""
        spec = {name: {"terms": {"field": name, "size": MAX_FACET_VALUES}} for name in names}
        result = self.searcher.aggregate(query, spec)
        return {name: {b["key"]: b["doc_count"] for b in result[name]["buckets"]} for name in names}


# ---------------------------------------------------------------- SQLite FTS5

FTS5_DDL = f"""
CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, name TEXT, section TEXT, priority TEXT,
                   architecture TEXT, installed_size INTEGER, source BLOB NOT NULL);
CREATE TABLE tags (doc INTEGER NOT NULL, tag TEXT NOT NULL);
CREATE VIRTUAL TABLE fts USING fts5(name, summary, description, content='',
                                    tokenize='unicode61 remove_diacritics 2', prefix='{FTS5_PREFIXES}');
"""
FTS5_INDEXES = """
CREATE INDEX docs_section ON docs(section);
CREATE INDEX docs_priority ON docs(priority);
CREATE INDEX docs_architecture ON docs(architecture);
CREATE INDEX docs_installed_size ON docs(installed_size);
CREATE INDEX docs_name ON docs(name);
CREATE INDEX tags_tag ON tags(tag, doc);
CREATE INDEX tags_doc ON tags(doc, tag);
"""


def build_fts5(corpus: Path, out: Path) -> int:
    """Write the FTS5 database at `out` (a file); returns the document count."""
    if out.exists():
        out.unlink()
    db = sqlite3.connect(out)
    db.executescript(FTS5_DDL)
    weights = ", ".join(str(FIELD_BOOSTS[name]) for name in SEARCHABLE)
    db.execute(f"INSERT INTO fts(fts, rank) VALUES ('rank', 'bm25({weights})')")
    count = 0
    with db:
        for rowid, (doc, line) in enumerate(read_corpus(corpus), 1):
            db.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (rowid, str(doc["id"]), doc.get("name"), doc.get("section"), doc.get("priority"),
                        doc.get("architecture"), doc.get("installed_size"), line))
            db.executemany("INSERT INTO tags VALUES (?, ?)", [(rowid, t) for t in doc.get("tags") or []])
            db.execute("INSERT INTO fts(rowid, name, summary, description) VALUES (?, ?, ?, ?)",
                       (rowid, doc.get("name") or "", doc.get("summary") or "", doc.get("description") or ""))
            count += 1
    db.executescript(FTS5_INDEXES)
    db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    db.commit()
    db.execute("ANALYZE")
    db.execute("VACUUM")
    db.close()
    return count


def fts5_match(q: str) -> str | None:
    """FTS5 MATCH expression: quoted words ANDed, the last one a prefix; None for no words."""
    words, last_is_prefix = query_words(q)
    if not words:
        return None
    parts = [f'"{w}"' for w in words]
    if last_is_prefix:
        parts[-1] += "*"
    return " ".join(parts)


def fts5_filter(clauses: list[dict]) -> tuple[str, list[Any]]:
    """SQL conditions on `d` (docs) for the structured filter clauses, with their parameters."""
    conditions, params = [], []
    for clause in clauses:
        name = clause["field"]
        if name not in FACET_FIELDS and name != "installed_size":
            raise ValueError(f"unknown filter field {name}")
        if name == "tags":
            values = [clause["value"]] if clause["op"] == "=" else clause.get("values", [])
            marks = ", ".join("?" * len(values))
            conditions.append(f"d.rowid IN (SELECT doc FROM tags WHERE tag IN ({marks}))")
            params += values
        elif clause["op"] == "=":
            conditions.append(f"d.{name} = ?")
            params.append(clause["value"])
        elif clause["op"] == "in":
            conditions.append(f"d.{name} IN ({', '.join('?' * len(clause['values']))})")
            params += clause["values"]
        else:
            for key, operator in (("gte", ">="), ("gt", ">"), ("lte", "<="), ("lt", "<")):
                if key in clause:
                    conditions.append(f"d.{name} {operator} ?")
                    params.append(clause[key])
    return " AND ".join(conditions), params


class Fts5Peer:
    """Searches a database built by `build_fts5`."""

    name = "fts5"

    def __init__(self, path: Path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.db.execute("PRAGMA cache_size = -200000")

    def _from_where(self, request: Request) -> tuple[str, list[Any], bool]:
        """FROM/WHERE shared by the hits, count and facet queries, and whether it is a text search."""
        match = fts5_match(request.q)
        condition, params = fts5_filter(request.clauses)
        if match is None:
            return "FROM docs d" + (f" WHERE {condition}" if condition else ""), params, False
        where = "fts MATCH ?" + (f" AND {condition}" if condition else "")
        return f"FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE {where}", [match, *params], True

    def search(self, request: Request) -> Answer:
        from_where, params, text = self._from_where(request)
        sort = parse_sort(request.sort)
        if sort:
            order = f"d.{sort[0]} {'DESC' if sort[1] else 'ASC'}"
        else:
            order = "fts.rank" if text else "d.rowid"
        rows = self.db.execute(f"SELECT d.source {from_where} ORDER BY {order} LIMIT ?",
                               [*params, request.limit]).fetchall()
        hits = [orjson.loads(row[0]) for row in rows]
        total = self.db.execute(f"SELECT count(*) {from_where}", params).fetchone()[0]
        facets = None
        if request.facets:
            facets = {name: self._facet(name, from_where, params) for name in request.facets}
        return Answer([str(h["id"]) for h in hits], total, facets, hits)

    def _facet(self, name: str, from_where: str, params: list[Any]) -> dict[str, int]:
        """Exact value counts of one facet field over every match."""
        if name == "tags":
            sql = (f"SELECT t.tag, count(*) FROM tags t WHERE t.doc IN (SELECT d.rowid {from_where}) "
                   "GROUP BY t.tag")
        else:
            sql = f"SELECT d.{name}, count(*) {from_where} GROUP BY d.{name}"
        return {value: n for value, n in self.db.execute(sql, params) if value is not None}


# ---------------------------------------------------------------- building in a fresh process

BUILDERS = {"tantivy": build_tantivy, "fts5": build_fts5}
STORES = {"tantivy": "tantivy-index", "fts5": "fts5.sqlite"}
PEERS = {"tantivy": TantivyPeer, "fts5": Fts5Peer}


def disk_mb(path: Path) -> float:
    """Allocated size of a file or directory tree, in MiB."""
    if path.is_file():
        return path.stat().st_blocks * 512 / 2**20
    return sum(os.stat(os.path.join(root, f)).st_blocks * 512
               for root, _dirs, files in os.walk(path) for f in files) / 2**20


def build_peer(engine: str, corpus: Path, workdir: Path) -> dict:
    """Build one peer's store in a child interpreter; returns its figures and the store path."""
    out = workdir / STORES[engine]
    if out.is_dir():
        shutil.rmtree(out)
    command = [sys.executable, __file__, "build", engine, str(corpus), str(out)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"building {engine} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _build_main(engine: str, corpus: Path, out: Path) -> None:
    """Child side of `build_peer`: build, then print the figures as one JSON line."""
    start = time.perf_counter()
    count = BUILDERS[engine](corpus, out)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"engine": engine, "documents": count, "seconds": seconds, "disk_mb": disk_mb(out),
                      "rss_mb": rss_mb, "path": str(out)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build one peer's store and print its figures as JSON")
    build.add_argument("engine", choices=sorted(BUILDERS))
    build.add_argument("corpus", type=Path)
    build.add_argument("out", type=Path)
    args = parser.parse_args()
    _build_main(args.engine, args.corpus, args.out)


if __name__ == "__main__":
    main()
