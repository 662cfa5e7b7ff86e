"""Global ranking score and the search response (ranking.md §8, §6.3–6.4).

Properties:
1. the worked example of ranking.md §8.1 scores 0.9746605609456898 to the last digit;
2. a placeholder search without sort scores 1.0 and returns documents in insertion order;
3. limit/offset/estimatedTotalHits and page/hitsPerPage/totalHits/totalPages follow maxTotalHits;
4. rankingScoreThreshold drops documents below it;
5. filters narrow the universe; negative words remove documents.
"""
from engine.engine import Engine
from engine.settings import task_details, validate_settings_patch


def index_of(tmp_path, docs, settings=None):
    engine = Engine(tmp_path / "db")
    if settings:
        patch = validate_settings_patch(settings)
        engine.wait_for_task(engine.update_settings("i", patch, task_details(patch))["uid"])
    task = engine.add_documents("i", docs, primary_key="id")
    assert engine.wait_for_task(task["uid"])["status"] == "succeeded"
    return engine, engine.index("i")


def test_worked_example(tmp_path):
    engine, index = index_of(tmp_path, [{"id": 1, "title": "Batman the dark knight returns: Part 1"},
                                        {"id": 2, "title": "Batman Returns"}])
    result = index.search("badman the dark knight returns 1", show_ranking_score=True,
                          show_ranking_score_details=True)
    assert result["hits"][0]["_rankingScore"] == 0.9746605609456898
    details = result["hits"][0]["_rankingScoreDetails"]
    assert details["typo"] == {"order": 1, "typoCount": 1, "maxTypoCount": 6, "score": 0.8571428571428571}
    assert details["proximity"] == {"order": 2, "score": 0.9375}
    assert details["wordPosition"] == {"order": 4, "score": 0.9836065573770492}
    engine.close()


def test_placeholder_and_pagination(tmp_path):
    engine, index = index_of(tmp_path, [{"id": i, "n": i % 3} for i in range(30)],
                             {"filterableAttributes": ["n"], "pagination": {"maxTotalHits": 25}})
    result = index.search(None, limit=5, offset=3, show_ranking_score=True)
    assert [h["id"] for h in result["hits"]] == [3, 4, 5, 6, 7]
    assert {h["_rankingScore"] for h in result["hits"]} == {1.0}
    assert (result["limit"], result["offset"], result["estimatedTotalHits"]) == (5, 3, 25)
    result = index.search("", page=2, hits_per_page=10)
    assert [h["id"] for h in result["hits"]] == list(range(10, 20))
    assert {k: result[k] for k in ("hitsPerPage", "page", "totalPages", "totalHits")} == {
        "hitsPerPage": 10, "page": 2, "totalPages": 3, "totalHits": 25}
    result = index.search("", filter="n = 1", limit=100)
    assert [h["id"] for h in result["hits"]] == list(range(1, 30, 3))
    engine.close()


def test_threshold_and_negatives(tmp_path):
    engine, index = index_of(tmp_path, [{"id": 1, "t": "red apple"}, {"id": 2, "t": "red"}, {"id": 3, "t": "apple"}])
    assert [h["id"] for h in index.search("red apple", ranking_score_threshold=0.9)["hits"]] == [1]
    assert [h["id"] for h in index.search("red -apple")["hits"]] == [2]
    assert [h["id"] for h in index.search("-apple")["hits"]] == [2]
    engine.close()


def test_search_cutoff(tmp_path):
    """6. searchCutoffMs: past the deadline the remaining rules are skipped (detail `skipped`), the
    documents still come back, ranked by the rules that did run."""
    engine, index = index_of(tmp_path, [{"id": i, "t": f"red apple {i}"} for i in range(5)], {"searchCutoffMs": 0})
    result = index.search("red apple", show_ranking_score_details=True, show_ranking_score=True)
    assert [h["id"] for h in result["hits"]] == [0, 1, 2, 3, 4]
    details = result["hits"][0]["_rankingScoreDetails"]
    assert details == {"skipped": {"order": 0}}
    assert result["hits"][0]["_rankingScore"] == 0.0
    engine.close()
