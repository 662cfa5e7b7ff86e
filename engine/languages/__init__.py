"""Languages: which one a text is in, and the word segmenters and normalizers made for it.

Meilisearch's tokenizer (charabia) cuts a text into runs of one script (chars of no script —
digits, spaces, punctuation — join the run they are in), picks each run's language, and cuts its
words with the segmenter of that (script, language): jieba for Chinese, a UniDic morphological
analyser for Japanese, ko-dic for Korean, a dictionary for Thai.  Loupe does the same with Python
libraries made for each language (the ``cjk`` / ``thai`` extras of setup.cfg); see `detection`,
`segmenters` and `normalizers`.

Language codes are ISO-639-3 as Meilisearch stores locales (``zho`` and ``cmn`` are both
Chinese, as Meilisearch maps them).
"""
from __future__ import annotations

from collections.abc import Iterable

#: Meilisearch locale code -> the language charabia works with (``zho`` is read as Mandarin).
_LANGUAGE_OF_LOCALE = {"zho": "cmn"}


def allow_list(locales: Iterable[str] | None) -> tuple[str, ...] | None:
    """The languages a tokenizer may detect, from ``locales`` (None: any), in a stable order so
    that equal lists share one tokenizer."""
    if not locales:
        return None
    from ..settings.values import LOCALE_CODES  # ISO-639-1 codes too, as the API accepts them
    codes = (LOCALE_CODES.get(code, code) for code in locales)
    return tuple(sorted({_LANGUAGE_OF_LOCALE.get(code, code) for code in codes}))
