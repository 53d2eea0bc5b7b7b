"""Commune boundaries: `tiendo load-boundaries FILE.geojson` attaches geometries to units by code.

The project ships no boundary file (a deployment loads its own); tests and the demo use
../shared/geo/quang-ngai-communes-2025.geojson when it is there. A file whose codes do not match
the loaded units is refused with the list of mismatches, and nothing is stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError
from tiendo.core.services import audit_record
from tiendo.orgunits.models import Boundary, OrgUnit


def boundaries_load(*, path: Path, actor_label: str = "tiendo load-boundaries") -> int:
    features = _read_features(path)
    codes = [str((f.get("properties") or {}).get("code", "")).strip() for f in features]
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    problems = _problems(codes, features, units)
    if problems:
        message = _("%(file)s: %(problems)s — không nạp gì") % {
            "file": path.name,
            "problems": "; ".join(problems),
        }
        raise ApplicationError(message, field="file")
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


def _read_features(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection, or a clear error naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ApplicationError(_("%(file)s: không tìm thấy tệp") % {"file": path}, field="file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        message = _("%(file)s: GeoJSON không hợp lệ: %(detail)s") % {"file": path.name, "detail": exc}
        raise ApplicationError(message, field="file") from None
    features = (
        data.get("features") if isinstance(data, dict) and data.get("type") == "FeatureCollection" else None
    )
    if not isinstance(features, list) or not features:
        message = _("%(file)s: cần một FeatureCollection") % {"file": path.name}
        raise ApplicationError(message, field="file")
    return features


def _problems(codes: list[str], features: list[dict[str, Any]], units: dict[str, OrgUnit]) -> list[str]:
    """Codes not among the units, repeated codes, features without a geometry."""
    problems = []
    unknown = sorted(c or _("(trống)") for c in codes if c not in units)
    if unknown:
        problems.append(_("mã không có trong danh mục đơn vị: %(codes)s") % {"codes": ", ".join(unknown)})
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        problems.append(_("mã lặp lại: %(codes)s") % {"codes": ", ".join(repeated)})
    no_geometry = [c for c, f in zip(codes, features, strict=True) if not isinstance(f.get("geometry"), dict)]
    if no_geometry:
        problems.append(_("thiếu geometry: %(codes)s") % {"codes": ", ".join(no_geometry)})
    return problems
