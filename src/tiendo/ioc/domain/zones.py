"""Fishing vessels against geofences: an area's allowed fishing zone and its restricted zones.

Zones are data (vessel-zones.yaml, with its source), checked on load (each polygon valid, closed,
inside lat/lon bounds). A vessel's device names its area (device.properties["zone"]). The state of
a position: 0 inside the allowed zone, 1 outside it, 2 inside a restricted zone (whatever the
allowed zone says). A point on a boundary is inside (shapely `covers`): on the edge of the allowed
zone is still allowed, on the edge of a restricted zone is already restricted — the cautious side
both times."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import shapely  # type: ignore[import-untyped]
import shapely.geometry  # type: ignore[import-untyped]
import shapely.validation  # type: ignore[import-untyped]
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pydantic import Field, ValidationError

from tiendo.core.yamlfile import StrictModel, YamlDocument

ZONES_FILE = Path(__file__).parent / "vessel-zones.yaml"
ZONE_PROPERTY = "zone"
INSIDE_ALLOWED, OUTSIDE_ALLOWED, INSIDE_RESTRICTED = 0, 1, 2
STATE_NAMES = (
    gettext_noop("Trong vùng được phép khai thác"),
    gettext_noop("Ngoài vùng được phép khai thác"),
    gettext_noop("Trong vùng cấm"),
)

LatLon = tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]]


class ZoneEntry(StrictModel):
    code: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    name: Annotated[str, Field(min_length=1)]
    polygon: Annotated[list[LatLon], Field(min_length=3)]  # [lat, lon] vertices; closing optional


class AreaEntry(StrictModel):
    code: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    name: Annotated[str, Field(min_length=1)]
    allowed: ZoneEntry
    restricted: list[ZoneEntry] = []


class ZonesFile(StrictModel):
    source: str
    illustrative: bool
    areas: Annotated[list[AreaEntry], Field(min_length=1)]


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    polygon: Any  # shapely Polygon, x = longitude, y = latitude


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    allowed: Zone
    restricted: tuple[Zone, ...]

    def state(self, latitude: float, longitude: float) -> int:
        # a point intersects a polygon when it is inside or on its boundary (= covers, without a Point)
        if any(shapely.intersects_xy(zone.polygon, longitude, latitude) for zone in self.restricted):
            return INSIDE_RESTRICTED
        return (
            INSIDE_ALLOWED
            if shapely.intersects_xy(self.allowed.polygon, longitude, latitude)
            else OUTSIDE_ALLOWED
        )


def _polygon(document: YamlDocument, zone: ZoneEntry, loc: tuple[str | int, ...], errors: list[str]) -> Any:
    ring = [(lon, lat) for lat, lon in zone.polygon]
    if ring[0] == ring[-1]:
        ring = ring[:-1]  # closed as written: shapely closes it again
    if len(set(ring)) < 3:
        errors.append(document.error((*loc, "polygon"), _("cần ít nhất 3 đỉnh khác nhau")))
        return None
    polygon = shapely.geometry.Polygon(ring)
    if not polygon.is_valid:
        reason = shapely.validation.explain_validity(polygon)
        errors.append(document.error((*loc, "polygon"), _("đa giác không hợp lệ: %(r)s") % {"r": reason}))
        return None
    shapely.prepare(polygon)
    return polygon


def load_areas(path: Path = ZONES_FILE) -> dict[str, Area]:
    """The file's areas by code, every problem named with its line (FileValidationError)."""
    document = YamlDocument.load(path)
    try:
        data = ZonesFile.model_validate(document.data or {})
    except ValidationError as exc:
        document.fail(document.pydantic_errors(exc))
        raise  # unreachable: fail raises
    errors: list[str] = []
    areas: dict[str, Area] = {}
    for a, entry in enumerate(data.areas):
        if entry.code in areas:
            errors.append(document.error(("areas", a, "code"), _("mã vùng trùng: %(c)s") % {"c": entry.code}))
        allowed = _polygon(document, entry.allowed, ("areas", a, "allowed"), errors)
        restricted = [
            (zone, _polygon(document, zone, ("areas", a, "restricted", r), errors))
            for r, zone in enumerate(entry.restricted)
        ]
        areas[entry.code] = Area(
            code=entry.code,
            name=entry.name,
            allowed=Zone(code=entry.allowed.code, name=entry.allowed.name, polygon=allowed),
            restricted=tuple(Zone(code=z.code, name=z.name, polygon=p) for z, p in restricted),
        )
    if errors:
        document.fail(errors)
    return areas


@functools.cache
def vessel_areas() -> dict[str, Area]:
    return load_areas()


def zone_label(state: int) -> str:
    return _(STATE_NAMES[max(0, min(state, 2))])
