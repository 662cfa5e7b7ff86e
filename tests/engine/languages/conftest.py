"""The language libraries (``pip install '.[cjk,thai,khmer,german]'``) must be there when
LOUPE_REQUIRE_LANGUAGES is set (CI sets it); elsewhere their tests skip without them."""
import os

import pytest

from engine.languages.segmenters import MissingLanguageSupport, require


@pytest.fixture(autouse=True)
def language_libraries():
    try:
        for language in ("cmn", "jpn", "HANGUL", "THAI", "KHMER", "deu"):
            require(language)
    except MissingLanguageSupport as missing:
        if os.environ.get("LOUPE_REQUIRE_LANGUAGES"):
            raise
        pytest.skip(str(missing))
