"""The licence list and the themes, as data (data/licences.yaml, data/themes.yaml).

Loaded by migration 0002 on every install and again by `reference_load()` when the files change:
rows are upserted by their key, never deleted (a dataset may still carry a licence retired from the
file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data"


def _read(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        rows: list[dict[str, Any]] = yaml.safe_load(handle)
    return rows


def reference_load(licence_model: Any = None, theme_model: Any = None) -> tuple[int, int]:
    """Upsert the licences and themes; returns how many of each the files hold. The models are
    passed by a migration (its historical models); by default the current ones."""
    if licence_model is None or theme_model is None:
        from tiendo.opendata.models import Licence, Theme

        licence_model, theme_model = Licence, Theme
    licences = _read("licences.yaml")
    for position, row in enumerate(licences):
        licence_model.objects.update_or_create(
            id=row["id"],
            defaults={
                "title": row["title"],
                "title_en": row.get("title_en", ""),
                "url": row.get("url") or "",
                "is_open": bool(row.get("open", True)),
                "position": position,
            },
        )
    themes = _read("themes.yaml")
    for row in themes:
        theme_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_en": row.get("name_en", ""),
                "uri": f"http://publications.europa.eu/resource/authority/data-theme/{row['code']}",
            },
        )
    return len(licences), len(themes)
