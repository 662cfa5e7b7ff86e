"""The search preview page in a real browser (issue 17 §4): the real `loupe` server with the demo
data, headless Chromium driven by web/test/preview-driver.mjs (playwright-core, Debian's chromium),
and assertions on what a person sees.

The driver runs once per module and reports its observations as JSON; each test below checks one
property of them:

1. without a key, with a wrong key: a readable message, never a blank page; with the key, the index
   list and every document (placeholder search);
2. typing a query letter by letter updates the hits at every letter; matches are highlighted and
   long descriptions cropped;
3. clicking a facet value filters the hits to it and the hit count equals the count the facet showed;
   a numeric facet is a range (bounds from facetStats) that filters the hits;
4. the sort choice orders the hits by the sortable attribute, both ways; page 2 shows other hits;
5. the keyboard alone reaches and toggles a facet;
6. an unreachable server, an unknown index, a search-only key: readable messages, then recovery;
7. phone width: nothing wider than the screen, filters folded, hits shown;
8. the static files need no key; every API call the page makes carries the key it was given;
9. the keystroke-to-rendered-results time, p50 over the typed query, is printed (and saved with
   the screenshots under tests/artifacts/);
10. an index with an embedder gets the semanticRatio slider; moving it with the keyboard changes the
    `hybrid` the page sends and the hits shown (keyword only: the one matching document; semantic
    only: every document, nearest first).

Locally the module skips when Chromium, Node.js or web/node_modules is missing, unless
LOUPE_REQUIRE_BROWSER is set (CI sets it, after installing them), in which case it fails.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
from pathlib import Path

import pytest
from support import MASTER_KEY, REPO, LoupeProcess

pytestmark = pytest.mark.e2e

DRIVER = REPO / "web" / "test" / "preview-driver.mjs"
ARTIFACTS = REPO / "tests" / "artifacts"
QUERY = "python"
FACET = "section"
SORT = "installed_size"
INDEX = "packages"
RANGE = (100, 2000)  # installed_size, applied on top of the clicked facet value


def browser_tools() -> dict[str, str]:
    """Paths of chromium and node; skip (or fail, when LOUPE_REQUIRE_BROWSER is set) if one is missing."""
    tools = {"chromium": shutil.which("chromium") or "/usr/bin/chromium", "node": shutil.which("node") or ""}
    missing = [name for name, path in tools.items() if not path or not Path(path).exists()]
    if not (REPO / "web" / "node_modules" / "playwright-core").is_dir():
        missing.append("web/node_modules (cd web && npm ci)")
    if missing:
        reason = f"browser test needs {', '.join(missing)}"
        if os.environ.get("LOUPE_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason + " (set LOUPE_REQUIRE_BROWSER=1 to make this a failure)")
    return tools


def load_demo(url: str, key: str) -> None:
    """data/load_demo.py, exactly as the README tells a user to run it."""
    spec = importlib.util.spec_from_file_location("load_demo", REPO / "data" / "load_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--url", url, "--key", key]) == 0


def drive(tools: dict[str, str], **options) -> dict:
    """Run the driver against a running server; its observations, checked for driver failures."""
    ARTIFACTS.mkdir(exist_ok=True)
    options = {"artifacts": str(ARTIFACTS), "chromium": tools["chromium"], **options}
    run = subprocess.run([tools["node"], str(DRIVER), json.dumps(options)], check=False, cwd=REPO / "web",
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    observed = json.loads(run.stdout)
    if observed.get("failure") is not None:
        pytest.fail(f"{observed['failure']}\nthe page showed: {json.dumps(observed.get('failedOn'))[:3000]}")
    assert observed["pageErrors"] == []
    return observed


@pytest.fixture(scope="module")
def seen(tmp_path_factory):
    """What the driver observed, from one browser session against a fresh server with the demo data."""
    tools = browser_tools()
    server = LoupeProcess(tmp_path_factory.mktemp("preview") / "data.ms").start()
    try:
        load_demo(server.url, MASTER_KEY)
        search_key = server.client().create_key({"actions": ["search"], "indexes": ["*"], "expiresAt": None}).key
        observed = drive(tools, url=server.url, key=MASTER_KEY, searchKey=search_key, query=QUERY, facet=FACET,
                         sort=SORT, index=INDEX, rangeMin=RANGE[0], rangeMax=RANGE[1])
    finally:
        server.stop()
    observed["searchKey"] = search_key
    return observed


def count(stats: str) -> int:
    """The hit count of the stats line, "1,234 results in 3 ms" -> 1234."""
    number, noun, *_ = stats.split()
    assert noun in ("result", "results"), stats
    return int(number.replace(",", ""))


def titles(results: dict) -> list[str]:
    return [hit["title"] for hit in results["hits"]]


def test_messages_before_the_right_key_then_every_document(seen):
    assert seen["noKey"]["message"].startswith("This server requires an API key")
    assert "The Authorization header is missing" in seen["noKey"]["message"]
    assert seen["wrongKey"]["message"].startswith("The API key was refused (invalid_api_key)")
    for state in ("noKey", "wrongKey"):
        assert seen[state]["placeholder"], "the results area must say something, never stay blank"
    assert seen["indexes"] == [INDEX]
    assert seen["initial"]["message"] is None
    assert count(seen["initial"]["stats"]) == 2000
    assert len(seen["initial"]["hits"]) == 20
    assert seen["storedKey"] == MASTER_KEY


def test_hits_update_at_every_letter_with_highlights_and_crops(seen):
    steps = seen["typing"]
    assert [step["prefix"] for step in steps] == [QUERY[:n] for n in range(1, len(QUERY) + 1)]
    assert [step["query"] for step in steps] == [step["prefix"] for step in steps]
    shown = [(count(step["stats"]), tuple(titles(step))) for step in steps]
    assert len(set(shown[:3])) == 3, "the first letters each change what is shown"
    assert count(steps[0]["stats"]) > count(steps[-1]["stats"]) > 0
    last = steps[-1]["hits"]
    assert all(QUERY in hit["title"].lower() or any(QUERY in text["text"].lower() for text in hit["texts"])
               for hit in last)
    assert any(mark.lower() == QUERY for hit in last for mark in hit["titleMarks"])
    descriptions = [text for hit in last for text in hit["texts"] if text["attribute"] == "description"]
    assert any(text["text"].endswith("…") or text["text"].startswith("…") for text in descriptions), \
        "long descriptions are cropped"
    assert all(len(text["text"].split()) <= 32 for text in descriptions)


def test_clicking_a_facet_value_filters_hits_and_counts(seen):
    clicked = seen["facetClicked"]
    assert clicked["count"] > 0 and not clicked["selected"]
    assert count(seen["filtered"]["stats"]) == clicked["count"]
    assert {hit["meta"][FACET] for hit in seen["filtered"]["hits"]} == {clicked["value"]}
    after = {item["value"]: item for item in seen["facetAfter"]}
    assert after[clicked["value"]]["selected"] and after[clicked["value"]]["count"] == clicked["count"]
    # the other values keep their counts for the query (a refinement list is disjunctive)
    assert {v: i["count"] for v, i in after.items()} == {i["value"]: i["count"] for i in seen["facetBefore"]}


def test_sort_choice_orders_hits_both_ways_and_pages_move_on(seen):
    assert f"{SORT} ascending" in seen["sortOptions"] and f"{SORT} descending" in seen["sortOptions"]
    assert seen["sortOptions"][0] == "Relevance"
    for order, reverse in (("desc", True), ("asc", False)):
        sizes = [int(hit["meta"][SORT].replace(",", "")) for hit in seen[f"sorted_{order}"]["hits"]]
        assert len(sizes) > 1 and sizes == sorted(sizes, reverse=reverse)
        assert count(seen[f"sorted_{order}"]["stats"]) == seen["facetClicked"]["count"]
    assert titles(seen["sorted_desc"]) != titles(seen["sorted_asc"])
    assert count(seen["page2"]["stats"]) == count(seen["page1"]["stats"])
    assert not set(titles(seen["page2"])) & set(titles(seen["page1"]))


def test_numeric_facet_is_a_range(seen):
    low, high = (int(p) for p in seen["rangePlaceholders"])  # the facet's min and max, from facetStats
    assert low <= RANGE[0] < RANGE[1] <= high
    sizes = [int(hit["meta"][SORT].replace(",", "")) for hit in seen["ranged"]["hits"]]
    assert sizes and all(RANGE[0] <= size <= RANGE[1] for size in sizes)
    assert sizes == sorted(sizes)  # the ascending sort still holds
    assert 0 < count(seen["ranged"]["stats"]) < seen["facetClicked"]["count"]


def test_keyboard_alone_reaches_and_toggles_a_facet(seen):
    keyboard = seen["keyboard"]
    assert keyboard["reached"], "Tab from the search box never reached a facet checkbox"
    assert keyboard["selected"] == [keyboard["value"]]
    assert 0 < count(keyboard["results"]["stats"]) < count(seen["page1"]["stats"])


def test_errors_are_readable_and_the_page_recovers(seen):
    assert seen["serverDown"]["message"].startswith("Cannot reach the Loupe server at http://127.0.0.1:")
    assert seen["serverDown"]["hits"], "the last results stay on screen"
    assert seen["serverBack"]["message"] is None
    assert "cannot list indexes: type the index uid" in seen["searchKeyListing"]["message"]
    assert seen["unknownIndex"]["message"] == "Index `no-such-index` not found. Choose another index."
    assert count(seen["searchKeyIndex"]["stats"]) == 2000 and seen["searchKeyIndex"]["message"] is None
    assert "cannot read the index settings" in seen["searchKeyIndex"]["notes"]
    assert seen["searchKeySortVisible"] is False


def test_phone_width_is_readable(seen):
    phone = seen["phone"]
    assert phone["scrollWidth"] <= phone["innerWidth"] == 390
    assert phone["filtersOpen"] is False and phone["firstHitVisible"]
    assert count(phone["stats"]) > 0 and phone["query"] == QUERY


def test_static_files_need_no_key_and_api_calls_carry_it(seen):
    static = [r for r in seen["responses"] if r["path"] == "/" or r["path"].startswith("/_preview/")]
    assert {r["path"] for r in static} == {"/", "/_preview/app.js", "/_preview/app.css"}
    assert {r["status"] for r in static} == {200}
    assert all(r["authorization"] is None for r in seen["requests"] if r["phase"] == "none")
    expected = {"wrong": "Bearer not-the-key", "key": f"Bearer {MASTER_KEY}",
                "searchKey": f"Bearer {seen['searchKey']}"}
    api_calls = [r for r in seen["requests"] if r["path"] != "/" and not r["path"].startswith("/_preview/")
                 and r["method"] != "OPTIONS" and r["phase"] != "none"]
    assert {r["path"] for r in api_calls} >= {"/indexes", "/multi-search", f"/indexes/{INDEX}/settings"}
    assert [r for r in api_calls if r["authorization"] != expected[r["phase"]]] == []


def test_keystroke_to_rendered_results_time(seen, capsys):
    times = [step["ms"] for step in seen["typing"]]
    p50 = statistics.median(times)
    parts = {part: statistics.median(step["parts"][part] for step in seen["typing"])
             for part in ("beforeRequest", "http", "render")}
    report = {"query": QUERY, "keystroke_to_render_ms": [round(t, 1) for t in times], "p50_ms": round(p50, 1),
              "p50_parts_ms": {k: round(v, 1) for k, v in parts.items()}}
    (ARTIFACTS / "search-preview-timing.json").write_text(json.dumps(report, indent=2) + "\n")
    with capsys.disabled():
        print(f"\nsearch preview: keystroke to rendered results, p50 {p50:.1f} ms over {QUERY!r} "
              f"({', '.join(f'{t:.0f}' for t in times)} ms; p50 of the parts: "
              f"{', '.join(f'{k} {v:.1f}' for k, v in parts.items())} ms); "
              f"screenshot {ARTIFACTS / 'search-preview.png'}")
    assert all(t > 0 for t in times)
    assert all(step["parts"]["http"] > 0 and step["parts"]["render"] >= 0 for step in seen["typing"])
    assert (ARTIFACTS / "search-preview.png").stat().st_size > 10_000


def test_no_search_preview_flag_reaches_the_server(fresh_server):
    """`loupe --no-search-preview`: a browser asking for `/` gets the JSON status line, like curl."""
    import urllib.request
    server = fresh_server(extra=["--no-search-preview"])
    request = urllib.request.Request(server.url + "/", headers={"Accept": "text/html,*/*;q=0.8"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Type"] == "application/json"
        assert response.read() == b'{"status":"Meilisearch is running"}'


FOOD = [{"id": 1, "name": "kefir"}, {"id": 2, "name": "banana"}, {"id": 3, "name": "papaya"}]


def test_semantic_ratio_slider_for_an_index_with_an_embedder(fresh_server):
    """A `rest` embedder on loopback (tests/embedding_server.py: vec("banana") == vec("papaya"))."""
    from embedding_server import EmbeddingServer
    tools = browser_tools()
    embedding = EmbeddingServer()
    try:
        server = fresh_server(extra=["--experimental-allowed-ip-networks", "127.0.0.0/8"])
        index = server.client().index("food")
        task = index.update_settings({"embedders": {"rest": {
            "source": "rest", "url": embedding.url + "/rest", "request": {"input": "{{text}}"},
            "response": {"embedding": "{{embedding}}"}, "documentTemplate": "{{doc.name}}"}}})
        assert server.client().wait_for_task(task.task_uid).status == "succeeded"
        task = index.add_documents(FOOD, primary_key="id")
        assert server.client().wait_for_task(task.task_uid).status == "succeeded"
        seen = drive(tools, mode="semantic", url=server.url, key=MASTER_KEY, query="banana")
    finally:
        embedding.close()
    assert seen["sliderVisible"] is True
    keyword, semantic = seen["ratios"]["0"], seen["ratios"]["1"]
    assert keyword["sent"] == {"embedder": "rest", "semanticRatio": 0} and keyword["shown"] == "0"
    assert semantic["sent"] == {"embedder": "rest", "semanticRatio": 1} and semantic["shown"] == "1"
    assert titles(keyword) == ["banana"] and count(keyword["stats"]) == 1
    assert count(semantic["stats"]) == 3 and set(titles(semantic)[:2]) == {"banana", "papaya"}
    assert titles(semantic)[2] == "kefir"
