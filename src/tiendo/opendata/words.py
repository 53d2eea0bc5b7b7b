"""How the catalogue's search reads words (no Django here: the benchmark writes search texts too)."""

from __future__ import annotations

import re

from tiendo.core.text import fold_for_search

__all__ = ["search_words", "word_pattern"]


def search_words(text: str) -> list[str]:
    """The words of a text or a query as the catalogue's search reads them: folded (lower case, no
    diacritics, đ → d), punctuation as spaces."""
    return re.sub(r"[^\w]+", " ", fold_for_search(text)).split()


def word_pattern(word: str) -> str:
    """What a query word must match in a dataset's search text (" word word … "): a word of one or
    two letters whole ("y", "te" in "y te" — not "technology"), a longer one as the start of a word
    ("truong" finds "trường", "truong" in "truonghoc" no)."""
    return f" {word} " if len(word) <= 2 else f" {word}"
