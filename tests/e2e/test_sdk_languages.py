"""Chinese, Japanese and Thai titles through the official client against a real `loupe`: a part
of a title finds it and is highlighted; `locales` and `localizedAttributes` are applied; facet
search reads values with the facet's localized rule.

Properties:
1. A Chinese title is found by one of its words (jieba) and the word is highlighted; a Japanese
   title by a word UniDic cuts; a Thai title by a dictionary word.
2. A kanji-only title is Chinese by default (東 | 京都 | 庁) and Japanese (東京 | 都庁) under a
   `localizedAttributes` rule, which the query follows.
3. The `locales` search parameter reads the query in its language; highlighting reads each field
   with its own rule, or every field with `locales` when given.
4. Facet search reads values with the facet's localized rule (as milli normalized them at
   indexing) and the query with the request's `locales`, else the same rule: katakana and hiragana
   meet under a Japanese rule, not under a Chinese one, whatever the query's locales.
"""
import os

import pytest

from engine.languages.segmenters import MissingLanguageSupport, require

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def language_libraries():
    try:
        for language in ("cmn", "jpn", "THAI"):
            require(language)
    except MissingLanguageSupport as missing:
        if os.environ.get("LOUPE_REQUIRE_LANGUAGES"):
            raise
        pytest.skip(str(missing))


DOCS = [
    {"id": 1, "title": "人民的意志是政府权力的基础", "kind": "中文"},
    {"id": 2, "title": "関西国際空港限定トートバッグ", "kind": "カタカナ"},
    {"id": 3, "title": "ภาษาไทยง่ายนิดเดียว", "kind": "ไทย"},
    {"id": 4, "title": "東京都庁", "place": "東京都庁", "kind": "かたかな"},
]


def add(client, uid, settings=None):
    index = client.index(uid)
    if settings:
        assert client.wait_for_task(index.update_settings(settings).task_uid).status == "succeeded"
    assert client.wait_for_task(index.add_documents(DOCS, primary_key="id").task_uid).status == "succeeded"
    return index


def marked(index, q, **params):
    hits = index.search(q, {"attributesToHighlight": ["title"], "attributesToRetrieve": ["id"], **params})["hits"]
    return [(h["id"], h["_formatted"]["title"]) for h in hits]


def test_a_word_of_a_title_finds_it_and_is_highlighted(client):
    index = add(client, "langs")
    assert marked(index, "政府") == [(1, "人民的意志是<em>政府</em>权力的基础")]
    assert marked(index, "權力") == [(1, "人民的意志是政府<em>权力</em>的基础")]
    assert marked(index, "トート") == [(2, "関西国際空港限定<em>トート</em>バッグ")]
    assert marked(index, "ง่าย") == [(3, "ภาษาไทย<em>ง่าย</em>นิดเดียว")]
    assert marked(index, "京都") == [(4, "東<em>京都</em>庁")]
    assert marked(index, "都庁", attributesToSearchOn=["title"]) == []


def test_a_localized_rule_and_the_locales_parameter(client):
    index = add(client, "localized", {"localizedAttributes": [{"attributePatterns": ["place"], "locales": ["ja"]}],
                                      "searchableAttributes": ["title", "place"]})
    rule = index.get_localized_attributes()[0]
    assert (rule.attribute_patterns, rule.locales) == (["place"], ["jpn"])
    # the query follows the rules of the fields it searches: Japanese, 都庁 is one word
    result = index.search("都庁", {"attributesToSearchOn": ["place"], "attributesToHighlight": ["place"]})
    assert [(h["id"], h["_formatted"]["place"]) for h in result["hits"]] == [(4, "東京<em>都庁</em>")]
    # on the title (no rule, Chinese) the same word is no word of the value
    assert index.search("都庁", {"attributesToSearchOn": ["title"], "locales": ["jpn"]})["hits"] == []
    # each field is highlighted as its own rule cuts it, unless `locales` reads them all
    shown = {"attributesToHighlight": ["title", "place"], "attributesToRetrieve": ["id"], "showMatchesPosition": True}
    hit, = index.search("東京", shown)["hits"]
    assert (hit["_formatted"], hit["_matchesPosition"]) == (
        {"id": "4", "title": "東京都庁", "place": "<em>東京</em>都庁"}, {"place": [{"start": 0, "length": 6}]})
    hit, = index.search("東京", {**shown, "locales": ["jpn"]})["hits"]
    assert (hit["_formatted"], hit["_matchesPosition"]) == (
        {"id": "4", "title": "<em>東京</em>都庁", "place": "<em>東京</em>都庁"},
        {"place": [{"start": 0, "length": 6}], "title": [{"start": 0, "length": 6}]})


def test_facet_search_reads_values_with_the_facets_rule(client):
    index = add(client, "facets", {"filterableAttributes": ["kind"],
                                   "localizedAttributes": [{"attributePatterns": ["kind"], "locales": ["jpn"]}]})
    hits = index.facet_search("kind", "かた")["facetHits"]
    assert sorted(h["value"] for h in hits) == ["かたかな", "カタカナ"]
    # read as Chinese, katakana stays katakana
    chinese = add(client, "facets-zh", {"filterableAttributes": ["kind"],
                                        "localizedAttributes": [{"attributePatterns": ["kind"], "locales": ["zh"]}]})
    assert [h["value"] for h in chinese.facet_search("kind", "かた")["facetHits"]] == ["かたかな"]
    # the facet search's own locales read the query only: the values stay as the rule read them
    hits = chinese.facet_search("kind", "かた", {"locales": ["jpn"]})["facetHits"]
    assert [h["value"] for h in hits] == ["かたかな"]


def test_facet_search_reads_swedish_values_under_a_swedish_rule_or_locales(client):
    docs = [{"id": 1, "berry": "Blåbär"}, {"id": 2, "berry": "Blabar"}]

    def values(index, query, params=None):
        return sorted(h["value"] for h in index.facet_search("berry", query, params)["facetHits"])

    plain = client.index("berries")
    client.wait_for_task(plain.update_settings({"filterableAttributes": ["berry"]}).task_uid)
    assert client.wait_for_task(plain.add_documents(docs, primary_key="id").task_uid).status == "succeeded"
    # without a language, å and ä fold: both values read "blabar"
    assert values(plain, "blåbär") == ["Blabar", "Blåbär"]
    # a Swedish query keeps them letters of their own, but the values were read without a
    # language: "blåbär" is two typos from "blabar" (one allowed), "bla" starts both
    assert values(plain, "blåbär", {"locales": ["swe"]}) == []
    assert values(plain, "bla", {"locales": ["swe"]}) == ["Blabar", "Blåbär"]
    swedish = client.index("berries-sv")
    client.wait_for_task(swedish.update_settings({
        "filterableAttributes": ["berry"],
        "localizedAttributes": [{"attributePatterns": ["berry"], "locales": ["swe"]}]}).task_uid)
    assert client.wait_for_task(swedish.add_documents(docs, primary_key="id").task_uid).status == "succeeded"
    assert values(swedish, "blåbär") == ["Blåbär"]
    assert values(swedish, "blabar") == ["Blabar"]
