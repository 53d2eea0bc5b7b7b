from __future__ import annotations

import unicodedata


def fold_for_search(text: str) -> str:
    """Lower-case, without diacritics, so "tinh khe" finds "Xã Tịnh Khê" (đ folds to d)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())
