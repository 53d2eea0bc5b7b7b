"""Vessel geofences: allowed fishing zone, restricted zones, edges and the closing of a ring."""

from pathlib import Path

import pytest

from tiendo.core.yamlfile import FileValidationError
from tiendo.ioc.domain import zones

SQUARE = "[[10.0, 100.0], [10.0, 101.0], [11.0, 101.0], [11.0, 100.0]"


def _file(tmp_path: Path, allowed: str, restricted: str = "[]") -> Path:
    path = tmp_path / "zones.yaml"
    path.write_text(
        "source: test\nillustrative: true\nareas:\n"
        "  - code: test\n    name: Vùng thử\n"
        f"    allowed: {{code: a, name: Được phép, polygon: {allowed}}}\n"
        f"    restricted: {restricted}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def ly_son():
    return zones.load_areas()["ly-son"]


def test_the_shipped_zones_are_marked_illustrative_and_the_demo_vessels_start_allowed(ly_son):
    assert "Minh họa" in zones.ZONES_FILE.read_text(encoding="utf-8")
    for lat, lon in [(15.41, 109.16), (15.35, 109.05), (15.46, 109.22), (15.3, 109.3)]:  # the seed's vessels
        assert ly_son.state(lat, lon) == zones.INSIDE_ALLOWED


def test_a_vessel_in_the_protected_area_is_restricted_though_the_area_lies_in_the_allowed_zone(ly_son):
    assert ly_son.state(15.42, 109.10) == zones.INSIDE_RESTRICTED
    assert zones.zone_label(zones.INSIDE_RESTRICTED) == "Trong vùng cấm"


def test_a_vessel_far_out_at_sea_is_outside_the_allowed_zone(ly_son):
    assert ly_son.state(16.5, 110.5) == zones.OUTSIDE_ALLOWED


def test_a_vessel_in_port_waters_outside_the_allowed_zone_is_restricted(ly_son):
    assert ly_son.state(15.40, 108.80) == zones.INSIDE_RESTRICTED


def test_a_point_on_an_edge_is_inside_both_for_allowed_and_restricted_zones(ly_son):
    """The protected area's south edge is latitude 15,405 from 109,06 to 109,13; (15,80; 109,30) is a
    vertex of the allowed zone."""
    assert ly_son.state(15.405, 109.10) == zones.INSIDE_RESTRICTED
    assert ly_son.state(15.80, 109.30) == zones.INSIDE_ALLOWED
    assert ly_son.state(15.81, 109.30) == zones.OUTSIDE_ALLOWED


def test_a_ring_written_open_or_closed_is_the_same_polygon(tmp_path):
    open_ring = zones.load_areas(_file(tmp_path, SQUARE + "]"))["test"]
    closed_ring = zones.load_areas(_file(tmp_path, SQUARE + ", [10.0, 100.0]]"))["test"]

    assert open_ring.allowed.polygon.equals(closed_ring.allowed.polygon)
    assert open_ring.allowed.polygon.area == pytest.approx(1.0)
    assert open_ring.state(10.5, 100.5) == zones.INSIDE_ALLOWED
    assert open_ring.state(10.0, 100.5) == zones.INSIDE_ALLOWED  # the closing edge counts


def test_coordinates_are_latitude_then_longitude(tmp_path):
    area = zones.load_areas(_file(tmp_path, "[[10, 100], [10, 102], [11, 102], [11, 100]]"))["test"]

    assert area.state(10.5, 101.5) == zones.INSIDE_ALLOWED
    assert area.state(11.5, 100.5) == zones.OUTSIDE_ALLOWED


def test_a_self_crossing_polygon_is_refused_naming_its_line(tmp_path):
    path = _file(tmp_path, "[[10, 100], [11, 101], [10, 101], [11, 100]]")

    with pytest.raises(FileValidationError) as refused:
        zones.load_areas(path)

    assert "zones.yaml:6 areas[0].allowed.polygon: đa giác không hợp lệ" in str(refused.value)


def test_a_polygon_of_fewer_than_three_distinct_points_is_refused(tmp_path):
    path = _file(
        tmp_path,
        SQUARE + "]",
        restricted="[{code: r, name: Cấm, polygon: [[10, 100], [10, 101], [10, 100]]}]",
    )

    with pytest.raises(FileValidationError) as refused:
        zones.load_areas(path)

    assert "areas[0].restricted[0].polygon: cần ít nhất 3 đỉnh khác nhau" in str(refused.value)


def test_a_latitude_out_of_range_is_refused(tmp_path):
    with pytest.raises(FileValidationError):
        zones.load_areas(_file(tmp_path, "[[95, 100], [10, 101], [11, 101]]"))
