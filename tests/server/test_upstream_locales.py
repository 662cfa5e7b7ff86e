"""Meilisearch's own expectations for the `locales` search parameter and the `localizedAttributes`
setting, through the HTTP routes (issue 16).

Each test is one test of upstream's crates/meilisearch/tests/search/locales.rs (the version stored
at commit 041a16dd, the newest one, whose search bodies carry `requestUid`; older versions of the
file expected other hits: see the report of issue 16), with its documents, settings, requests and
expected bodies transcribed; `processingTimeMs`, `requestUid`, `taskUid` and `enqueuedAt` are
compared as upstream redacts them.  The Chinese and Japanese cases need the ``cjk`` extra (they
skip without it, fail under LOUPE_REQUIRE_LANGUAGES); the errors and the Swedish case need none,
the German one the ``german`` extra.  As upstream's `Index::search` does, every search is sent both
as a POST body and as a GET query string (arrays comma-separated, as `yaup` writes them), and both
answers must be the expected one.  The `localized_attributes` cases of upstream's
`test_setting_routes!` (crates/meilisearch/tests/settings/get_settings.rs) close the file.

What the expectations pin down (charabia's and milli's behaviour):
1. A Han-only query is Chinese unless `locales` says otherwise, and Chinese is normalized from
   traditional to simplified chars (`進撃` -> `进击`): without locales `進撃` finds the Chinese
   document 853 only, with `locales: ["jpn"]` the Japanese document 852 only.
2. `localizedAttributes` decides how a field's text is cut at indexing; a query's `locales` (or,
   without them, the locales of the rules of the fields searched) decide how the query is cut, and
   restrict the search to the fields whose rules allow one of those locales.
3. Errors: an unknown locale in a search (POST and GET wording) or in a rule, wrong types, a rule
   without `attributePatterns`.
4. Facet search normalizes its query like the facet values: `locales` cut the query, Chinese facet
   values are stored simplified.
5. Swedish keeps `ä` a letter (`trä` does not find `traktor`); German splits compounds.
"""
from __future__ import annotations

import os
import urllib.parse
import uuid
from typing import Any

import orjson
import pytest

from engine.engine import Engine
from engine.languages.segmenters import MissingLanguageSupport, require
from server.app import create_app

KEY = "upstream-locales-master-key-0123"
AUTH = {"Authorization": f"Bearer {KEY}"}


def _requires(*languages: str) -> None:
    """Skip (fail under LOUPE_REQUIRE_LANGUAGES, as CI's language pass sets it) unless the
    segmenters of ``languages`` load: the documents are Chinese and Japanese."""
    try:
        for language in languages:
            require(language)
    except MissingLanguageSupport as missing:
        if os.environ.get("LOUPE_REQUIRE_LANGUAGES"):
            raise
        pytest.skip(str(missing))


@pytest.fixture
def cjk():
    """The Chinese and Japanese segmenters, and OpenCC's variant tables (the ``cjk`` extra)."""
    _requires("cmn", "jpn")
    try:
        import opencc  # noqa: F401
    except ImportError:
        if os.environ.get("LOUPE_REQUIRE_LANGUAGES"):
            raise
        pytest.skip("opencc: install the cjk extra")


@pytest.fixture
def engine(tmp_path):
    engine = Engine(tmp_path / "db", worker="thread")
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    return await aiohttp_client(create_app(engine, master_key=KEY))


# -- upstream's documents ---------------------------------------------------------------------------

NESTED_DOCUMENTS = [
    {
        "id": 852,
        "document_en": {
            "name": "Attack on Titan",
            "description": "Attack on Titan is a Japanese manga series written and illustrated by Hajime Isayama",
            "author": "Hajime Isayama",
        },
        "document_ja": {
            "name": "進撃の巨人",
            "description": "進撃の巨人は、日本の漫画シリーズであり、諫山 創によって作画されている。",
            "author": "諫山 創",
        },
        "document_zh": {
            "name": "进击的巨人",
            "description": "进击的巨人是日本的漫画系列，由諫山 創作画。",
            "author": "諫山創",
        },
        "_vectors": {"manual": [1, 2, 3]},
    },
    {
        "id": 654,
        "document_en": {
            "name": "One Piece",
            "description": "One Piece is a Japanese manga series written and illustrated by Eiichiro Oda",
            "author": "Eiichiro Oda",
        },
        "document_ja": {
            "name": "ワンピース",
            "description": "ワンピースは、日本の漫画シリーズであり、尾田 栄一郎によって作画されている。",
            "author": "尾田 栄一郎",
        },
        "document_zh": {
            "name": "ONE PIECE",
            "description": "海贼王》是尾田荣一郎创作的日本漫画系列。",
            "author": "尾田 栄一郎",
        },
        "_vectors": {"manual": [1, 2, 54]},
    },
]

DOCUMENTS = [
    {
        "id": 852,
        "name_en": "Attack on Titan",
        "description_en": "Attack on Titan is a Japanese manga series written and illustrated by Hajime Isayama",
        "author_en": "Hajime Isayama",
        "name_ja": "進撃の巨人",
        "description_ja": "進撃の巨人は、日本の漫画シリーズであり、諫山 創によって作画されている。",
        "author_ja": "諫山 創",
        "_vectors": {"manual": [1, 2, 3]},
    },
    {
        "id": 853,
        "name_zh": "进击的巨人",
        "description_zh": "进击的巨人是日本的漫画系列，由諫山 創作画。",
        "author_zh": "諫山創",
        "_vectors": {"manual": [1, 2, 3]},
    },
    {
        "id": 654,
        "name_en": "One Piece",
        "description_en": "One Piece is a Japanese manga series written and illustrated by Eiichiro Oda",
        "author_en": "Eiichiro Oda",
        "name_ja": "ワンピース",
        "description_ja": "ワンピースは、日本の漫画シリーズであり、尾田 栄一郎によって作画されている。",
        "author_ja": "尾田 栄一郎",
        "_vectors": {"manual": [1, 2, 54]},
    },
    {
        "id": 655,
        "name_zh": "ONE PIECE",
        "description_zh": "海贼王》是尾田荣一郎创作的日本漫画系列。",
        "author_zh": "尾田 栄一郎",
        "_vectors": {"manual": [1, 2, 54]},
    },
]

SEARCHABLE = ["name_en", "name_ja", "name_zh", "author_en", "author_ja", "author_zh",
              "description_en", "description_ja", "description_zh"]
NESTED_SEARCHABLE = ["document_en", "document_ja", "document_zh"]
TITAN = '"进击的巨人"'  # the phrase most tests search for

# upstream's list of the locales it accepts, in the order of each message
LOCALES_OF_BODY = (
    "`af`, `ak`, `am`, `ar`, `az`, `be`, `bn`, `bg`, `ca`, `cs`, `da`, `de`, `el`, `en`, `eo`, `et`, "
    "`fi`, `fr`, `gu`, `he`, `hi`, `hr`, `hu`, `hy`, `id`, `it`, `jv`, `ja`, `kn`, `ka`, `km`, `ko`, "
    "`la`, `lv`, `lt`, `ml`, `mr`, `mk`, `my`, `ne`, `nl`, `nb`, `or`, `pa`, `fa`, `pl`, `pt`, `ro`, "
    "`ru`, `si`, `sk`, `sl`, `sn`, `es`, `sr`, `sv`, `ta`, `te`, `tl`, `th`, `tk`, `tr`, `uk`, `ur`, "
    "`uz`, `vi`, `yi`, `zh`, `zu`, `cy`, `afr`, `aka`, `amh`, `ara`, `aze`, `bel`, `ben`, `bul`, "
    "`cat`, `ces`, `dan`, `deu`, `ell`, `eng`, `epo`, `est`, `fin`, `fra`, `guj`, `heb`, `hin`, "
    "`hrv`, `hun`, `hye`, `ind`, `ita`, `jav`, `jpn`, `kan`, `kat`, `khm`, `kor`, `lat`, `lav`, "
    "`lit`, `mal`, `mar`, `mkd`, `mya`, `nep`, `nld`, `nob`, `ori`, `pan`, `pes`, `pol`, `por`, "
    "`ron`, `rus`, `sin`, `slk`, `slv`, `sna`, `spa`, `srp`, `swe`, `tam`, `tel`, `tgl`, `tha`, "
    "`tuk`, `tur`, `ukr`, `urd`, `uzb`, `vie`, `yid`, `zho`, `zul`, `cym`, `cmn`")
LOCALES_OF_QUERY_STRING = (
    "af, ak, am, ar, az, be, bg, bn, ca, cs, cy, da, de, el, en, eo, es, et, fa, fi, fr, gu, he, hi, "
    "hr, hu, hy, id, it, ja, jv, ka, km, kn, ko, la, lt, lv, mk, ml, mr, my, nb, ne, nl, or, pa, pl, "
    "pt, ro, ru, si, sk, sl, sn, sr, sv, ta, te, th, tk, tl, tr, uk, ur, uz, vi, yi, zh, zu, afr, aka, "
    "amh, ara, aze, bel, ben, bul, cat, ces, cmn, cym, dan, deu, ell, eng, epo, est, fin, fra, guj, "
    "heb, hin, hrv, hun, hye, ind, ita, jav, jpn, kan, kat, khm, kor, lat, lav, lit, mal, mar, mkd, "
    "mya, nep, nld, nob, ori, pan, pes, pol, por, ron, rus, sin, slk, slv, sna, spa, srp, swe, tam, "
    "tel, tgl, tha, tuk, tur, ukr, urd, uzb, vie, yid, zho, zul")


# -- requests -------------------------------------------------------------------------------------

NO_BODY = object()


async def call(http, method: str, path: str, body: Any = NO_BODY) -> tuple[int, Any]:
    """``body`` sent as JSON (``None`` as `null`); the status and the decoded answer."""
    headers = dict(AUTH)
    data = None
    if body is not NO_BODY:
        headers["Content-Type"] = "application/json"
        data = orjson.dumps(body)
    response = await http.request(method, path, data=data, headers=headers)
    text = await response.read()
    return response.status, orjson.loads(text) if text else None


def same(actual: Any, expected: Any) -> None:
    """Equal as upstream's snapshots compare them: the same JSON text, key order included."""
    assert orjson.dumps(actual).decode() == orjson.dumps(expected).decode()


async def settle(http, engine, uid: int) -> dict:
    """Wait for task ``uid``, which must succeed."""
    engine.wait_for_task(uid)
    status, task = await call(http, "GET", f"/tasks/{uid}")
    assert status == 200 and task["status"] == "succeeded", task
    return task


async def update_settings(http, index: str, settings: dict) -> int:
    """PATCH the settings; the summary must be upstream's (`taskUid`, `enqueuedAt` redacted)."""
    status, summary = await call(http, "PATCH", f"/indexes/{index}/settings", settings)
    assert status == 202, summary
    uid = summary["taskUid"]
    assert isinstance(uid, int) and isinstance(summary["enqueuedAt"], str)
    same({**summary, "taskUid": "[task_uid]", "enqueuedAt": "[date]"},
         {"taskUid": "[task_uid]", "indexUid": index, "status": "enqueued", "type": "settingsUpdate",
          "enqueuedAt": "[date]"})
    return uid


async def add_documents(http, index: str, documents: list[dict]) -> int:
    status, summary = await call(http, "POST", f"/indexes/{index}/documents", documents)
    assert status == 202, summary
    return summary["taskUid"]


async def indexed(http, engine, settings: dict, documents: list[dict], index: str = "test") -> None:
    """Upstream's usual order: the settings, then the documents, waited for."""
    await update_settings(http, index, settings)
    await settle(http, engine, await add_documents(http, index, documents))


def query_string(body: dict) -> str:
    """``body`` as a GET query string, lists comma-separated as upstream's `yaup` writes them."""
    pairs = [(name, ",".join(value) if isinstance(value, list) else str(value)) for name, value in body.items()]
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)


def redacted(body: dict) -> dict:
    """``body`` with `processingTimeMs` and `requestUid` replaced as upstream's snapshots do."""
    assert isinstance(body.get("processingTimeMs"), int), body
    out = {**body, "processingTimeMs": "[duration]"}
    if "requestUid" in body:
        uuid.UUID(body["requestUid"])
        out["requestUid"] = "[uuid]"
    return out


async def search(http, body: dict, expected: dict, index: str = "test") -> None:
    """POST then GET ``body``; both answers must be 200 with the ``expected`` body."""
    for status, answer in (await call(http, "POST", f"/indexes/{index}/search", body),
                           await call(http, "GET", f"/indexes/{index}/search?{query_string(body)}")):
        assert status == 200, answer
        same(redacted(answer), expected)


def found(query: str, *ids: int, key: str = "id") -> dict:
    """Upstream's expected search body: ``ids`` (values of ``key``) in this order, one page of 20."""
    return {"hits": [{key: value} for value in ids], "query": query, "processingTimeMs": "[duration]",
            "limit": 20, "offset": 0, "estimatedTotalHits": len(ids), "requestUid": "[uuid]"}


def refused(code: str, message: str) -> dict:
    return {"message": message, "code": code, "type": "invalid_request",
            "link": f"https://docs.meilisearch.com/errors#{code}"}


# -- locales.rs: searches ---------------------------------------------------------------------------

async def test_simple_search(http, engine, cjk):
    """locales.rs `simple_search`: a Han-only query is Chinese (and simplified) unless `locales`
    makes it Japanese."""
    await settle(http, engine, await update_settings(http, "test", {"searchableAttributes": SEARCHABLE}))
    await settle(http, engine, await add_documents(http, "test", DOCUMENTS))
    await search(http, {"q": "Atta", "attributesToRetrieve": ["id"]}, found("Atta", 852))
    await search(http, {"q": "進撃", "attributesToRetrieve": ["id"]}, found("進撃", 853))
    await search(http, {"q": "進撃", "locales": ["jpn"], "attributesToRetrieve": ["id"]}, found("進撃", 852))
    await search(http, {"q": "进击", "attributesToRetrieve": ["id"]}, found("进击", 853))


async def test_force_locales(http, engine, cjk):
    """locales.rs `force_locales`: every CJK field forced to Japanese; the Chinese phrase finds
    853 detected as Chinese and with `locales: ["jpn"]`."""
    await indexed(http, engine, {"searchableAttributes": SEARCHABLE, "localizedAttributes": [
        {"attributePatterns": ["name_ja", "name_zh", "author_ja", "author_zh", "description_ja",
                               "description_zh"], "locales": ["jpn"]}]}, DOCUMENTS)
    await search(http, {"q": TITAN, "attributesToRetrieve": ["id"]}, found(TITAN, 853))
    await search(http, {"q": TITAN, "locales": ["jpn"], "attributesToRetrieve": ["id"]}, found(TITAN, 853))


async def test_force_locales_with_pattern(http, engine, cjk):
    """locales.rs `force_locales_with_pattern`: the same with `*_ja` / `*_zh` patterns."""
    await indexed(http, engine, {"searchableAttributes": SEARCHABLE, "localizedAttributes": [
        {"attributePatterns": ["*_ja", "*_zh"], "locales": ["jpn"]}]}, DOCUMENTS)
    await search(http, {"q": TITAN, "attributesToRetrieve": ["id"]}, found(TITAN, 853))
    await search(http, {"q": TITAN, "locales": ["jpn"], "attributesToRetrieve": ["id"]}, found(TITAN, 853))


async def test_force_locales_with_pattern_nested(http, engine, cjk):
    """locales.rs `force_locales_with_pattern_nested`: patterns on nested fields; `cmn` searches no
    field (every CJK field is Japanese, the English ones hold no such word)."""
    await indexed(http, engine, {"searchableAttributes": NESTED_SEARCHABLE, "localizedAttributes": [
        {"attributePatterns": ["document_ja.*", "*_zh.*"], "locales": ["jpn"]}]}, NESTED_DOCUMENTS)
    await search(http, {"q": TITAN, "locales": ["cmn"], "attributesToRetrieve": ["id"]}, found(TITAN))
    await search(http, {"q": TITAN, "locales": ["jpn"], "attributesToRetrieve": ["id"]}, found(TITAN, 852))


async def test_force_different_locales_with_pattern(http, engine, cjk):
    """locales.rs `force_different_locales_with_pattern`: `*_zh` Japanese, `*_ja` Chinese."""
    await indexed(http, engine, {"searchableAttributes": SEARCHABLE, "localizedAttributes": [
        {"attributePatterns": ["*_zh"], "locales": ["jpn"]},
        {"attributePatterns": ["*_ja"], "locales": ["cmn"]}]}, DOCUMENTS)
    await search(http, {"q": TITAN, "locales": ["cmn"], "attributesToRetrieve": ["id"]}, found(TITAN))
    await search(http, {"q": TITAN, "locales": ["jpn"], "attributesToRetrieve": ["id"]}, found(TITAN, 853))


async def test_auto_infer_locales_at_search_with_attributes_to_search_on(http, engine, cjk):
    """locales.rs `auto_infer_locales_at_search_with_attributes_to_search_on`: without `locales`
    the query takes the locales of the fields it searches."""
    await indexed(http, engine, {"searchableAttributes": SEARCHABLE, "localizedAttributes": [
        {"attributePatterns": ["*_zh"], "locales": ["jpn"]},
        {"attributePatterns": ["*_ja"], "locales": ["cmn"]},
        {"attributePatterns": ["*_en"], "locales": []}]}, DOCUMENTS)
    await search(http, {"q": TITAN, "attributesToRetrieve": ["id"]}, found(TITAN))
    await search(http, {"q": TITAN, "attributesToRetrieve": ["id"],
                        "attributesToSearchOn": ["name_zh", "description_zh"]}, found(TITAN, 853))


async def test_auto_infer_locales_at_search(http, engine, cjk):
    """locales.rs `auto_infer_locales_at_search`: `*` forced Japanese; the query, read as
    Japanese too, finds 853 (upstream searches three times, the same answer each time)."""
    await indexed(http, engine, {"searchableAttributes": SEARCHABLE, "localizedAttributes": [
        {"attributePatterns": ["*"], "locales": ["jpn"]}]}, DOCUMENTS)
    for _ in range(3):
        await search(http, {"q": TITAN, "attributesToRetrieve": ["id"]}, found(TITAN, 853))


async def test_force_different_locales_with_pattern_nested(http, engine, cjk):
    """locales.rs `force_different_locales_with_pattern_nested`: `document_zh.*` matches the first
    rule (`*_zh.*`: Japanese) before the second; `ja` is read as `jpn`."""
    await indexed(http, engine, {"searchableAttributes": NESTED_SEARCHABLE, "localizedAttributes": [
        {"attributePatterns": ["*_zh.*"], "locales": ["jpn"]},
        {"attributePatterns": ["document_ja.*", "document_zh.*"], "locales": ["cmn"]}]}, NESTED_DOCUMENTS)
    await search(http, {"q": TITAN, "locales": ["cmn"], "attributesToRetrieve": ["id"]}, found(TITAN))
    await search(http, {"q": TITAN, "locales": ["jpn"], "attributesToRetrieve": ["id"]}, found(TITAN, 852))
    await search(http, {"q": TITAN, "locales": ["ja"], "attributesToRetrieve": ["id"]}, found(TITAN, 852))


async def test_settings_change(http, engine, cjk):
    """locales.rs `settings_change`: documents first, then rules, then other rules; each change
    re-cuts the fields."""
    await settle(http, engine, await add_documents(http, "test", NESTED_DOCUMENTS))
    await settle(http, engine, await update_settings(http, "test", {
        "searchableAttributes": NESTED_SEARCHABLE,
        "localizedAttributes": [{"attributePatterns": ["document_ja.*", "*_zh.*"], "locales": ["jpn"]}]}))
    await search(http, {"q": TITAN, "locales": ["cmn"], "attributesToRetrieve": ["id"]}, found(TITAN))
    await search(http, {"q": TITAN, "locales": ["jpn"], "attributesToRetrieve": ["id"]}, found(TITAN, 852))
    await settle(http, engine, await update_settings(http, "test", {
        "searchableAttributes": NESTED_SEARCHABLE,
        "localizedAttributes": [{"attributePatterns": ["*_zh.*"], "locales": ["jpn"]},
                                {"attributePatterns": ["document_ja.*"], "locales": ["cmn"]}]}))
    await search(http, {"q": TITAN, "locales": ["cmn"], "attributesToRetrieve": ["id"]}, found(TITAN))
    await search(http, {"q": TITAN, "locales": ["jpn"], "attributesToRetrieve": ["id"]}, found(TITAN, 852))


# -- locales.rs: errors ----------------------------------------------------------------------------

async def test_invalid_locales(http, engine):
    """locales.rs `invalid_locales`: the POST and GET wordings of an unknown locale."""
    await settle(http, engine, await update_settings(http, "test", {"searchableAttributes": SEARCHABLE}))
    await settle(http, engine, await add_documents(http, "test", DOCUMENTS))
    assert await call(http, "POST", "/indexes/test/search", {"q": "Atta", "locales": ["invalid"]}) == (
        400, refused("invalid_search_locales",
                     f"Unknown value `invalid` at `.locales[0]`: expected one of {LOCALES_OF_BODY}"))
    assert await call(http, "GET", "/indexes/test/search?q=Atta&locales=invalid") == (
        400, refused("invalid_search_locales", "Invalid value in parameter `locales`: Unsupported locale "
                                               f"`invalid`, expected one of {LOCALES_OF_QUERY_STRING}"))


async def test_invalid_localized_attributes_rules(http):
    """locales.rs `invalid_localized_attributes_rules`."""
    code = "invalid_settings_localized_attributes"
    cases = [
        ({"attributePatterns": ["*_ja", "*_zh"], "locales": ["japan"]},
         "Unknown value `japan` at `.localizedAttributes[0].locales[0]`: expected one of " + LOCALES_OF_BODY),
        ({"attributePatterns": ["*_ja", "*_zh"], "locales": "jpn"},
         "Invalid value type at `.localizedAttributes[0].locales`: expected an array, but found a string: "
         '`"jpn"`'),
        ({"attributePatterns": "*_ja", "locales": ["jpn"]},
         "Invalid value type at `.localizedAttributes[0].attributePatterns`: expected an array, but found a "
         'string: `"*_ja"`'),
        ({"locales": ["jpn"]}, "Missing field `attributePatterns` inside `.localizedAttributes[0]`"),
    ]
    for rule, message in cases:
        assert await call(http, "PATCH", "/indexes/test/settings", {"localizedAttributes": [rule]}) == (
            400, refused(code, message))


# -- locales.rs: facet search ----------------------------------------------------------------------

async def facet_search(http, body: dict, expected: dict) -> None:
    status, answer = await call(http, "POST", "/indexes/test/facet-search", body)
    assert status == 200, answer
    same(redacted(answer), expected)


def facets(query: str, *values: str) -> dict:
    return {"facetHits": [{"value": value, "count": 1} for value in values], "facetQuery": query,
            "processingTimeMs": "[duration]"}


async def test_simple_facet_search(http, engine, cjk):
    """locales.rs `simple_facet_search`: the Chinese facet value is found from its traditional
    spelling, whether the query is read as Chinese or as Japanese."""
    await indexed(http, engine, {"filterableAttributes": ["name_en", "name_ja", "name_zh"]}, DOCUMENTS)
    await facet_search(http, {"facetName": "name_zh", "facetQuery": "進撃", "locales": ["cmn"]},
                       facets("進撃", "进击的巨人"))
    await facet_search(http, {"facetName": "name_zh", "facetQuery": "進撃", "locales": ["jpn"]},
                       facets("進撃", "进击的巨人"))


async def test_facet_search_with_localized_attributes(http, engine, cjk):
    """locales.rs `facet_search_with_localized_attributes`: `name_zh` is Japanese; a Chinese query
    misses it, a Japanese one or one without locales (the field's) finds it."""
    await indexed(http, engine, {"filterableAttributes": ["name_ja", "name_zh"], "localizedAttributes": [
        {"attributePatterns": ["*_ja", "*_zh"], "locales": ["jpn"]}]}, DOCUMENTS)
    await facet_search(http, {"facetName": "name_zh", "facetQuery": "进击", "locales": ["cmn"]},
                       facets("进击"))
    await facet_search(http, {"facetName": "name_zh", "facetQuery": "进击", "locales": ["jpn"]},
                       facets("进击", "进击的巨人"))
    await facet_search(http, {"facetName": "name_zh", "facetQuery": "进击"}, facets("进击", "进击的巨人"))


# -- locales.rs: Latin languages -------------------------------------------------------------------

async def test_swedish_search(http, engine):
    """locales.rs `swedish_search`: in Swedish `ä` is a letter of its own, so `trä` and `tra` find
    different words, with the field's locale inferred or the query's forced."""
    await add_documents(http, "test", [
        {"id": "tra1-1", "product": "trä"}, {"id": "tra2-1", "product": "traktor"},
        {"id": "tra1-2", "product": "träbjälke"}, {"id": "tra2-2", "product": "trafiksignal"}])
    await settle(http, engine, await update_settings(http, "test", {
        "searchableAttributes": ["product"],
        "localizedAttributes": [{"attributePatterns": ["product"], "locales": ["swe"]}]}))
    for extra in ({}, {"locales": ["swe"]}):
        await search(http, {"q": "trä", **extra, "attributesToRetrieve": ["product"]},
                     found("trä", "trä", "träbjälke", key="product"))
        await search(http, {"q": "tra", **extra, "attributesToRetrieve": ["product"]},
                     found("tra", "traktor", "trafiksignal", key="product"))


async def german_index(http, engine) -> None:
    _requires("deu")
    await add_documents(http, "test", [{"id": 1, "product": "Interkulturalität"},
                                       {"id": 2, "product": "Wissensorganisation"}])
    await settle(http, engine, await update_settings(http, "test", {
        "searchableAttributes": ["product"],
        "localizedAttributes": [{"attributePatterns": ["product"], "locales": ["deu"]}]}))


async def test_german_search(http, engine):
    """locales.rs `german_search`: German compounds are cut, so a part of one finds it."""
    await german_index(http, engine)
    await search(http, {"q": "organisation", "attributesToRetrieve": ["product"]},
                 found("organisation", "Wissensorganisation", key="product"))


@pytest.mark.xfail(strict=True, reason="Loupe's German dictionary (igerman98) holds Interkulturalität whole and "
                                       "has no part `inter`; charabia's own dictionary of parts cuts Inter|kulturalität")
async def test_german_search_prefix_part(http, engine):
    """locales.rs `german_search`, its first search: ``kulturalität`` finds ``Interkulturalität``."""
    await german_index(http, engine)
    await search(http, {"q": "kulturalität", "attributesToRetrieve": ["product"]},
                 found("kulturalität", "Interkulturalität", key="product"))


# -- settings/get_settings.rs: the localized-attributes route --------------------------------------

async def test_localized_attributes_route_get_unexisting_index(http):
    """get_settings.rs `localized_attributes::get_unexisting_index`: 404."""
    status, _ = await call(http, "GET", "/indexes/test/settings/localized-attributes")
    assert status == 404


async def test_localized_attributes_route_update_unexisting_index(http, engine):
    """get_settings.rs `localized_attributes::update_unexisting_index`: PUT null creates the index."""
    status, summary = await call(http, "PUT", "/indexes/test/settings/localized-attributes", None)
    assert status == 202, summary
    await settle(http, engine, summary["taskUid"])
    status, index = await call(http, "GET", "/indexes/test")
    assert status == 200, index


async def test_localized_attributes_route_delete_unexisting_index(http, engine):
    """get_settings.rs `localized_attributes::delete_unexisting_index`: the task fails."""
    status, summary = await call(http, "DELETE", "/indexes/test/settings/localized-attributes")
    assert status == 202, summary
    engine.wait_for_task(summary["taskUid"])
    status, task = await call(http, "GET", f"/tasks/{summary['taskUid']}")
    assert (status, task["status"]) == (200, "failed")


async def test_localized_attributes_route_get_default(http, engine):
    """get_settings.rs `localized_attributes::get_default`: null."""
    status, summary = await call(http, "POST", "/indexes", {"uid": "test"})
    assert status == 202, summary
    await settle(http, engine, summary["taskUid"])
    assert await call(http, "GET", "/indexes/test/settings/localized-attributes") == (200, None)
