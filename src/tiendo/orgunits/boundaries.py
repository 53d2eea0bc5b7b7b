"""Commune boundaries: `tiendo load-boundaries FILE.geojson` attaches geometries to units by code.

The project ships no boundary file (a deployment loads its own); tests and the demo use
../shared/geo/quang-ngai-communes-2025.geojson when it is there. A file whose codes do not match
the loaded units is refused with the list of mismatches, and nothing is stored.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import shapely  # type: ignore[import-untyped]
import shapely.errors  # type: ignore[import-untyped]
import shapely.geometry  # type: ignore[import-untyped]
import shapely.geometry.base  # type: ignore[import-untyped]
import shapely.validation  # type: ignore[import-untyped]
from django.db import transaction
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError
from tiendo.core.services import audit_record
from tiendo.orgunits.models import Boundary, OrgUnit

MAX_BYTES = 50 * 1024 * 1024  # a province's communes are ~5 MB
MAX_DEPTH = 12  # FeatureCollection → features → Feature → geometry → MultiPolygon coordinates: 8
MAX_FEATURES = 20_000  # a province has hundreds of communes
MAX_REPORTED = 50  # bad features named in a refusal; the rest are counted


def boundaries_load(*, path: Path, actor_label: str = "tiendo load-boundaries") -> int:
    """Attach every feature's geometry to its unit, all or nothing: every bad feature is listed."""
    features = _read_features(path)
    checked = [_feature_problem(index, feature) for index, feature in enumerate(features)]
    problems = [problem for problem, _geometry in checked if problem]
    geometries = [geometry for _problem, geometry in checked]
    codes = [_code(feature) for feature in features]
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    problems += _problems(codes, units)
    if problems:
        raise ApplicationError(_refused(path, problems), field="file")
    with transaction.atomic():
        for code, geometry in zip(codes, geometries, strict=True):
            Boundary.objects.update_or_create(
                unit=units[code], defaults={"geometry": geometry, "source": path.name}
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


def _code(feature: object) -> str:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    return str(properties.get("code", "")).strip()[:40] if isinstance(properties, dict) else ""


def _refused(path: Path, problems: list[str]) -> str:
    shown = problems[:MAX_REPORTED]
    more = len(problems) - len(shown)
    if more:
        shown.append(_("… và %(count)s lỗi khác") % {"count": more})
    return _("%(file)s: %(problems)s — không nạp gì") % {"file": path.name, "problems": "; ".join(shown)}


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
    """The features of a GeoJSON FeatureCollection, or a clear error naming the file.

    Bounded: the file's size, its nesting depth (a RecursionError of the parser, then a walk), no
    NaN/Infinity nor numbers that overflow to it."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            message = _("%(file)s: tệp quá lớn (%(size)s MB, tối đa %(max)s MB)") % {
                "file": path.name,
                "size": size // (1024 * 1024),
                "max": MAX_BYTES // (1024 * 1024),
            }
            raise ApplicationError(message, field="file")
        data = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_no_constant, parse_float=_finite)
    except FileNotFoundError:
        raise ApplicationError(_("%(file)s: không tìm thấy tệp") % {"file": path}, field="file") from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError; so is a NaN
        message = _("%(file)s: GeoJSON không hợp lệ: %(detail)s") % {"file": path.name, "detail": exc}
        raise ApplicationError(message, field="file") from None
    except RecursionError:
        raise ApplicationError(_too_deep(path), field="file") from None
    if _deeper_than(data, MAX_DEPTH):
        raise ApplicationError(_too_deep(path), field="file")
    features = (
        data.get("features") if isinstance(data, dict) and data.get("type") == "FeatureCollection" else None
    )
    if not isinstance(features, list) or not features:
        message = _("%(file)s: cần một FeatureCollection") % {"file": path.name}
        raise ApplicationError(message, field="file")
    if len(features) > MAX_FEATURES:
        message = _("%(file)s: quá nhiều feature (%(count)s, tối đa %(max)s)") % {
            "file": path.name,
            "count": len(features),
            "max": MAX_FEATURES,
        }
        raise ApplicationError(message, field="file")
    return features


def _no_constant(name: str) -> float:
    raise ValueError(_("%(value)s không phải số hợp lệ") % {"value": name})


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(_("%(value)s không phải số hợp lệ") % {"value": text[:40]})
    return value


def _too_deep(path: Path) -> str:
    return _("%(file)s: lồng nhau quá sâu (tối đa %(max)s cấp)") % {"file": path.name, "max": MAX_DEPTH}


def _deeper_than(data: object, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels (a walk without recursion)."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _feature_problem(index: int, feature: object) -> tuple[str | None, dict[str, Any] | None]:
    """(None, the geometry to store) for a good feature, else (its problem, None).

    Only Polygon and MultiPolygon, with coordinates shapely can build, inside longitude/latitude
    bounds; an invalid one (a ring touching itself, common in surveyed boundaries) is repaired when
    `make_valid` keeps it an area within 1 %, else refused with shapely's explanation."""
    where = f"features[{index}]"
    if not isinstance(feature, dict):
        return _("%(where)s: phải là một đối tượng Feature") % {"where": where}, None
    code = _code(feature)
    where = f"{where} ({code})" if code else where
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        return _("%(where)s: geometry phải là Polygon hoặc MultiPolygon, không phải %(kind)s") % {
            "where": where,
            "kind": repr(kind)[:40],
        }, None
    assert isinstance(geometry, dict)
    try:
        shaped = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, shapely.errors.ShapelyError) as exc:
        return _("%(where)s: tọa độ không hợp lệ (%(detail)s)") % {
            "where": where,
            "detail": str(exc)[:120],
        }, None
    return _checked_shape(where, geometry, shaped)


def _checked_shape(
    where: str, geometry: dict[str, Any], shaped: Any
) -> tuple[str | None, dict[str, Any] | None]:
    if shaped.is_empty:
        return _("%(where)s: geometry rỗng") % {"where": where}, None
    west, south, east, north = shaped.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        return _("%(where)s: tọa độ ngoài kinh độ/vĩ độ hợp lệ") % {"where": where}, None
    if shaped.is_valid:
        return None, geometry
    repaired = shapely.make_valid(shaped)
    if isinstance(
        repaired, shapely.geometry.GeometryCollection | shapely.geometry.base.BaseMultipartGeometry
    ):
        repaired = shapely.geometry.MultiPolygon(
            [p for part in getattr(repaired, "geoms", [repaired]) for p in _polygons(part)]
        )
    if (
        repaired.geom_type in ("Polygon", "MultiPolygon")
        and repaired.is_valid
        and abs(repaired.area - shaped.area) <= 0.01 * shaped.area
    ):
        return None, shapely.geometry.mapping(repaired)
    return _("%(where)s: hình học không hợp lệ: %(detail)s") % {
        "where": where,
        "detail": shapely.validation.explain_validity(shaped),
    }, None


def _polygons(geometry: Any) -> list[Any]:
    if geometry.geom_type == "Polygon":
        return [geometry]
    if geometry.geom_type == "MultiPolygon":
        return list(geometry.geoms)
    return []


def _problems(codes: list[str], units: dict[str, OrgUnit]) -> list[str]:
    """Codes not among the units, repeated codes."""
    problems = []
    unknown = sorted(c or _("(trống)") for c in codes if c not in units)
    if unknown:
        problems.append(_("mã không có trong danh mục đơn vị: %(codes)s") % {"codes": ", ".join(unknown)})
    repeated = sorted(c for c, count in Counter(codes).items() if count > 1 and c)
    if repeated:
        problems.append(_("mã lặp lại: %(codes)s") % {"codes": ", ".join(repeated)})
    return problems
