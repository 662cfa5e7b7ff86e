"""BERT's WordPiece tokenizer in plain Python, as Hugging Face ``tokenizers`` runs it.

Reading a ``tokenizer.json`` of type BertNormalizer + BertPreTokenizer + WordPiece, this gives
the same token ids as the Rust ``tokenizers`` package (checked on every text of the shipped
datasets by ``tests/engine/embedders/test_huggingface.py``), without its 46 MB of wheels and
hub client. Tokenizing is ~1 % of an embedding's time, so plain Python costs nothing that shows.

    "Ünïcode  web-server!"
      normalise   clean control chars, whitespace → " ", pad CJK ideographs, strip accents
                  (NFD, drop Mn), lower-case           → "unicode  web-server!"
      pre-split   on whitespace, punctuation alone      → unicode | web | - | server | !
      wordpiece   longest vocabulary prefix, then "##"-prefixed pieces; [UNK] for a word that
                  cannot be covered or is over 100 chars
      template    [CLS] … [SEP], the word pieces cut first so the total fits ``max_length``

Special tokens written literally in the text (``[SEP]``) are matched before normalisation, as
``tokenizers`` matches its added tokens.
"""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

# Unicode White_Space (Rust's char::is_whitespace), which Python's str.isspace does not match exactly
_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_CJK = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)


def is_whitespace(c: str) -> bool:
    return c in _WHITESPACE


def is_control(c: str) -> bool:
    """``tokenizers``' notion: any Unicode "other" category, except tab, newline, return."""
    if c in "\t\n\r":
        return False
    return unicodedata.category(c).startswith("C")


def is_punctuation(c: str) -> bool:
    """ASCII punctuation (so ``$+<=>^`|~`` count) or any Unicode P* category."""
    o = ord(c)
    if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def is_cjk(c: str) -> bool:
    o = ord(c)
    return any(lo <= o <= hi for lo, hi in _CJK)


class WordPieceTokenizer:
    """Text → token ids for one BERT vocabulary (``encode``), thread-safe (no state changes)."""

    def __init__(
        self,
        vocab: dict[str, int],
        *,
        lowercase: bool = True,
        strip_accents: bool | None = None,
        clean_text: bool = True,
        handle_chinese_chars: bool = True,
        unk_token: str = "[UNK]",
        prefix: str = "##",
        max_chars_per_word: int = 100,
        cls_token: str = "[CLS]",
        sep_token: str = "[SEP]",
        added_tokens: dict[str, int] | None = None,
    ) -> None:
        self.vocab = vocab
        self.lowercase = lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.clean_text = clean_text
        self.handle_chinese_chars = handle_chinese_chars
        self.unk_id = vocab[unk_token]
        self.prefix = prefix
        self.max_chars_per_word = max_chars_per_word
        self.cls_id, self.sep_id = vocab[cls_token], vocab[sep_token]
        self.added = added_tokens or {}
        self._added_pattern = (
            re.compile("|".join(re.escape(t) for t in sorted(self.added, key=len, reverse=True)))
            if self.added else None
        )
        self._cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_file(cls, path: Path) -> WordPieceTokenizer:
        """From a ``tokenizer.json``; refuses pipelines this class does not reproduce."""
        spec = json.loads(Path(path).read_text())
        normalizer, model = spec.get("normalizer") or {}, spec.get("model") or {}
        if normalizer.get("type") != "BertNormalizer" or model.get("type") != "WordPiece":
            raise ValueError(f"unsupported tokenizer in {path}: only BertNormalizer + WordPiece")
        if (spec.get("pre_tokenizer") or {}).get("type") != "BertPreTokenizer":
            raise ValueError(f"unsupported pre-tokenizer in {path}: only BertPreTokenizer")
        added = {t["content"]: t["id"] for t in spec.get("added_tokens", []) if t.get("special")}
        return cls(
            model["vocab"],
            lowercase=normalizer.get("lowercase", True),
            strip_accents=normalizer.get("strip_accents"),
            clean_text=normalizer.get("clean_text", True),
            handle_chinese_chars=normalizer.get("handle_chinese_chars", True),
            unk_token=model.get("unk_token", "[UNK]"),
            prefix=model.get("continuing_subword_prefix", "##"),
            max_chars_per_word=model.get("max_input_chars_per_word", 100),
            added_tokens=added,
        )

    # -- the pipeline ---------------------------------------------------------------------------

    def normalize(self, text: str) -> str:
        if self.clean_text:
            text = "".join(
                " " if is_whitespace(c) else c
                for c in text
                if not (c == "\x00" or c == "\ufffd" or is_control(c))
            )
        if self.handle_chinese_chars:
            text = "".join(f" {c} " if is_cjk(c) else c for c in text)
        if self.strip_accents:
            text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        if self.lowercase:
            text = "".join(c.lower() for c in text)  # per char, as Rust's to_lowercase (no final sigma)
        return text

    @staticmethod
    def pre_tokenize(text: str) -> list[str]:
        words: list[str] = []
        current: list[str] = []
        for c in text:
            if is_whitespace(c):
                if current:
                    words.append("".join(current))
                    current = []
            elif is_punctuation(c):
                if current:
                    words.append("".join(current))
                    current = []
                words.append(c)
            else:
                current.append(c)
        if current:
            words.append("".join(current))
        return words

    def word_pieces(self, word: str) -> tuple[int, ...]:
        """Greedy longest-prefix-first pieces of one word (cached: vocabularies repeat)."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if len(word) > self.max_chars_per_word:
            pieces: tuple[int, ...] = (self.unk_id,)
        else:
            found: list[int] = []
            start = 0
            while start < len(word):
                end = len(word)
                piece_id = None
                while start < end:
                    piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                    piece_id = self.vocab.get(piece)
                    if piece_id is not None:
                        break
                    end -= 1
                if piece_id is None:
                    found = [self.unk_id]
                    break
                found.append(piece_id)
                start = end
            pieces = tuple(found)
        if len(self._cache) < 200_000:
            self._cache[word] = pieces
        return pieces

    def _ids(self, text: str) -> list[int]:
        ids: list[int] = []
        for word in self.pre_tokenize(self.normalize(text)):
            ids.extend(self.word_pieces(word))
        return ids

    def encode(self, text: str, max_length: int | None = None) -> list[int]:
        """``[CLS] pieces [SEP]``, the pieces cut so that the whole fits in ``max_length``."""
        ids: list[int] = []
        if self._added_pattern is None:
            ids = self._ids(text)
        else:
            position = 0
            for match in self._added_pattern.finditer(text):
                ids.extend(self._ids(text[position : match.start()]))
                ids.append(self.added[match.group()])
                position = match.end()
            ids.extend(self._ids(text[position:]))
        if max_length is not None:
            ids = ids[: max(0, max_length - 2)]
        return [self.cls_id, *ids, self.sep_id]
