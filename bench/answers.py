"""Answers of every workload query on the full Debian corpus, as one digest: proof that a change
does not change what searches return.

    python bench/answers.py                      # prints one sha256 per workload and overall
    python bench/answers.py --out /tmp/a.jsonl   # also writes every answer, one JSON line each
    python bench/answers.py --compare /tmp/a.jsonl   # lists the queries whose answer differs

Every query of ../shared/datasets/queries (typing, typo and its clean form, filter, sort, multi)
runs in process through `Engine(path).index(uid).search(...)` with `showRankingScore` and
`showRankingScoreDetails`, as the benchmark sends it; an answer is its hits (every field), order,
scores and details, totals and facets; `processingTimeMs` and `requestUid` are left out.  The digest of the code
that the typed search core replaced is in `bench/answers.sha256`; the opt-in large test
(`LOUPE_LARGE_TESTS=1`) runs this command and compares.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from engine.engine import Engine  # noqa: E402

DATASETS = HERE.parent.parent / "shared" / "datasets"
CORPUS = DATASETS / "debian-packages" / "packages.ndjson"
QUERIES = DATASETS / "queries"
INDEX_UID = "packages"
SETTINGS = {"searchableAttributes": ["name", "summary", "description"],
            "filterableAttributes": ["section", "priority", "tags", "architecture", "installed_size"],
            "sortableAttributes": ["installed_size", "name"]}
SCORES = {"showRankingScore": True, "showRankingScoreDetails": True}
DIGEST_FILE = HERE / "answers.sha256"


def read_jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (QUERIES / name).read_text().splitlines() if line.strip()]


def workloads() -> dict[str, list[tuple[str, dict]]]:
    """Workload -> (query id, search body), as bench/search.py sends them (scores added)."""
    typo = read_jsonl("typo.jsonl")

    def text(entries: list[dict], key: str) -> list[tuple[str, dict]]:
        return [(e["qid"], {"q": e[key], "limit": 20, **SCORES}) for e in entries]

    filters = [(e["qid"], {"q": e["q"], "filter": e["filter"], "facets": e["facets"], "page": 1, "hitsPerPage": 20,
                           **SCORES}) for e in read_jsonl("filter.jsonl")]
    sorts = [(e["qid"], {"q": e["q"], "sort": e["sort"], "limit": 20, **SCORES,
                         **({"filter": e["filter"]} if e.get("filter") else {})}) for e in read_jsonl("sort.jsonl")]
    return {"typing": text(read_jsonl("typing.jsonl"), "q"), "typo": text(typo, "q"),
            "typo-clean": text(typo, "q_clean"), "filter": filters, "sort": sorts,
            "multi": text(read_jsonl("multi.jsonl"), "q")}


def build_index(path: Path) -> Engine:
    engine = Engine(path)
    task = engine.update_settings(INDEX_UID, SETTINGS, SETTINGS)
    engine.wait_for_task(task["uid"], timeout=600)
    payload = CORPUS.read_bytes()
    task = engine.add_payload(INDEX_UID, payload, "ndjson", payload.count(b"\n"))
    done = engine.wait_for_task(task["uid"], timeout=1200)
    if done["status"] != "succeeded":
        raise SystemExit(f"indexing failed: {done}")
    return engine


def answer_line(workload: str, qid: str, body: dict, answer: dict) -> bytes:
    answer = {k: v for k, v in answer.items() if k not in ("processingTimeMs", "requestUid")}
    return json.dumps({"workload": workload, "qid": qid, "body": body, "answer": answer},
                      sort_keys=True, ensure_ascii=False).encode() + b"\n"


def run(out: Path | None) -> dict[str, str]:
    digests: dict[str, str] = {}
    whole = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="loupe-answers-") as tmp:
        started = time.perf_counter()
        engine = build_index(Path(tmp) / "data.ms")
        print(f"indexed in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        index = engine.index(INDEX_UID)
        sink = out.open("wb") if out else None
        try:
            for name, queries in workloads().items():
                digest = hashlib.sha256()
                for qid, body in queries:
                    params = {k: v for k, v in body.items() if k != "q"}
                    line = answer_line(name, qid, body, index.search(body["q"], **params))
                    digest.update(line)
                    whole.update(line)
                    if sink:
                        sink.write(line)
                digests[name] = f"{digest.hexdigest()}  {len(queries)}"
        finally:
            if sink:
                sink.close()
            engine.close()
    digests["all"] = whole.hexdigest()
    return digests


def compare(path: Path, expected_path: Path) -> int:
    expected = {(a["workload"], a["qid"]): a for a in map(json.loads, expected_path.read_text().splitlines())}
    differing = 0
    for line in path.read_text().splitlines():
        got = json.loads(line)
        want = expected.get((got["workload"], got["qid"]))
        if want != got:
            differing += 1
            if differing <= 20:
                print(f"differs: {got['workload']} {got['qid']} q={got['body'].get('q')!r}")
    print(f"{differing} answers differ")
    return differing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write every answer to this JSON-lines file")
    parser.add_argument("--compare", type=Path, help="compare with the answers of an earlier --out")
    parser.add_argument("--check", action="store_true", help=f"exit 1 unless the digest equals {DIGEST_FILE.name}")
    args = parser.parse_args()
    out = args.out or (Path(tempfile.mkstemp(suffix=".jsonl")[1]) if args.compare else None)
    digests = run(out)
    for name, digest in digests.items():
        print(f"{name:<11} {digest}")
    status = 0
    if args.compare:
        status = 1 if compare(out, args.compare) else 0
    if args.check:
        expected = DIGEST_FILE.read_text().split()[0]
        same = expected == digests["all"]
        print("digest matches bench/answers.sha256" if same else f"digest differs from {expected}")
        status = status or (0 if same else 1)
    sys.exit(status)


if __name__ == "__main__":
    main()
