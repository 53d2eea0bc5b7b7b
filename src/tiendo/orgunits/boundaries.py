"""Commune boundaries: `tiendo load-boundaries FILE.geojson` attaches geometries to units by code.

The project ships no boundary file (a deployment loads its own); tests and the demo use
../shared/geo/quang-ngai-communes-2025.geojson when it is there. A file whose codes do not match
the loaded units is refused with the list of mismatches, and nothing is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from tiendo.core.exceptions import ApplicationError
from tiendo.core.services import audit_record
from tiendo.orgunits.models import Boundary, OrgUnit


def boundaries_load(*, path: Path, actor_label: str = "tiendo load-boundaries") -> int:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ApplicationError(f"{path}: không tìm thấy tệp / file not found", field="file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApplicationError(
            f"{path.name}: GeoJSON không hợp lệ / invalid GeoJSON: {exc}", field="file"
        ) from None
    features = (
        data.get("features") if isinstance(data, dict) and data.get("type") == "FeatureCollection" else None
    )
    if not isinstance(features, list) or not features:
        raise ApplicationError(
            f"{path.name}: cần một FeatureCollection / a FeatureCollection is required", field="file"
        )
    codes = [str((f.get("properties") or {}).get("code", "")).strip() for f in features]
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    unknown = sorted(c or "(trống / empty)" for c in codes if c not in units)
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    problems = []
    if unknown:
        problems.append(
            f"mã không có trong danh mục đơn vị / codes not among the units: {', '.join(unknown)}"
        )
    if repeated:
        problems.append(f"mã lặp lại / repeated codes: {', '.join(repeated)}")
    no_geometry = [c for c, f in zip(codes, features, strict=True) if not isinstance(f.get("geometry"), dict)]
    if no_geometry:
        problems.append(f"thiếu geometry / no geometry: {', '.join(no_geometry)}")
    if problems:
        raise ApplicationError(
            f"{path.name}: " + "; ".join(problems) + " — không nạp gì / nothing loaded", field="file"
        )
    with transaction.atomic():
        for code, feature in zip(codes, features, strict=True):
            Boundary.objects.update_or_create(
                unit=units[code], defaults={"geometry": feature["geometry"], "source": path.name}
            )
        parent = units[codes[0]].parent
        if parent is not None:
            audit_record(
                actor=None,
                actor_label=actor_label,
                action="boundaries.load",
                obj=parent,
                changes={"units": len(codes), "file": path.name},
            )
    return len(codes)


def boundaries_for(province: OrgUnit) -> bool:
    return Boundary.objects.filter(unit__parent=province).exists()


def feature_collection(province: OrgUnit) -> dict:
    """The children's boundaries as GeoJSON, `name` = unit code (what ECharts maps join on)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": b.unit.code, "label": b.unit.name},
                "geometry": b.geometry,
            }
            for b in Boundary.objects.filter(unit__parent=province).select_related("unit")
        ],
    }
