"""The probe's GeoJSON reproducers: a non-object feature, deep nesting, NaN and a "Banana" geometry
ended in tracebacks or were stored. Now each is refused with the feature and rule, nothing stored."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tiendo.core.exceptions import ApplicationError
from tiendo.orgunits.boundaries import boundaries_load
from tiendo.orgunits.models import Boundary

pytestmark = pytest.mark.django_db

SQUARE = [[[108.8, 15.1], [108.9, 15.1], [108.9, 15.2], [108.8, 15.2], [108.8, 15.1]]]
BOWTIE = [[[108.8, 15.1], [108.9, 15.2], [108.9, 15.1], [108.8, 15.2], [108.8, 15.1]]]


def feature(code: str, geometry: object) -> dict:
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def collection(*features: object) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def refusal(tmp_path, text: str) -> str:
    path = tmp_path / "ranh-gioi.geojson"
    path.write_text(text, encoding="utf-8")
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        boundaries_load(path=path)
    assert not Boundary.objects.exists()
    return str(caught.value.message)


def test_a_good_polygon_is_stored_and_served(tmp_path, client, shipped_data):
    path = tmp_path / "ok.geojson"
    path.write_text(collection(feature("21211", {"type": "Polygon", "coordinates": SQUARE})))
    assert boundaries_load(path=path) == 1
    assert Boundary.objects.get(unit__code="21211").geometry["type"] == "Polygon"


def test_a_banana_geometry_is_refused_with_its_feature(tmp_path, shipped_data):
    message = refusal(tmp_path, collection(feature("21211", {"type": "Banana", "coordinates": SQUARE})))
    assert "features[0] (21211): the geometry must be a Polygon or a MultiPolygon, not 'Banana'" in message
    assert message.endswith("nothing loaded")


def test_a_point_is_not_a_boundary(tmp_path, shipped_data):
    message = refusal(tmp_path, collection(feature("21211", {"type": "Point", "coordinates": [108.8, 15.1]})))
    assert "not 'Point'" in message


def test_a_feature_that_is_not_an_object_is_listed_with_the_others(tmp_path, shipped_data):
    good = feature("21211", {"type": "Polygon", "coordinates": SQUARE})
    message = refusal(
        tmp_path, collection(good, 42, "x", feature("21172", {"type": "Polygon", "coordinates": [[1]]}))
    )
    assert "features[1]: must be a Feature object" in message
    assert "features[2]: must be a Feature object" in message
    assert "features[3] (21172): invalid coordinates" in message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinite_numbers_are_refused(tmp_path, shipped_data, constant):
    text = collection(feature("21211", {"type": "Polygon", "coordinates": SQUARE})).replace(
        "108.9", constant, 1
    )
    message = refusal(tmp_path, text)
    assert "invalid GeoJSON" in message and "is not a valid number" in message


def test_deep_nesting_is_refused_not_a_recursion_traceback(tmp_path, shipped_data):
    assert "nested too deeply" in refusal(
        tmp_path, '{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    nested = {
        "type": "FeatureCollection",
        "features": [feature("21211", {"type": "Polygon", "coordinates": SQUARE})],
    }
    nested["features"][0]["properties"]["x"] = [[[[[[[[[[[1]]]]]]]]]]]
    assert "nested too deeply (at most 12 levels)" in refusal(tmp_path, json.dumps(nested))


def test_a_self_intersecting_ring_that_cannot_be_repaired_is_refused_with_shapelys_reason(
    tmp_path, shipped_data
):
    message = refusal(tmp_path, collection(feature("21211", {"type": "Polygon", "coordinates": BOWTIE})))
    assert "features[0] (21211): invalid geometry: Self-intersection" in message


def test_coordinates_outside_longitude_and_latitude_are_refused(tmp_path, shipped_data):
    far = [[[x * 10, y * 10] for x, y in ring] for ring in SQUARE]
    assert "outside valid longitude/latitude" in refusal(
        tmp_path, collection(feature("21211", {"type": "Polygon", "coordinates": far}))
    )


def test_a_file_over_the_size_bound_is_refused_before_it_is_parsed(tmp_path, shipped_data, monkeypatch):
    monkeypatch.setattr("tiendo.orgunits.boundaries.MAX_BYTES", 100)
    message = refusal(tmp_path, collection(feature("21211", {"type": "Polygon", "coordinates": SQUARE})))
    assert "file too large (0 MB, at most 0 MB)" in message


def test_the_command_answers_the_refusal_not_a_traceback(tmp_path, shipped_data):
    path = tmp_path / "ranh-gioi.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [NaN]}')
    with translation.override("en"), pytest.raises(CommandError, match="invalid GeoJSON"):
        call_command("load_boundaries", str(path), stdout=io.StringIO())


def test_a_ring_touching_itself_is_repaired_when_its_area_stays_the_same(tmp_path, shipped_data):
    """Surveyed boundaries have them (3 of the 96 Quảng Ngãi communes): repaired, not refused."""
    lobes = [(0, 0), (2, 0), (3, 1), (4, 0), (4, 2), (2, 0), (0, 2), (0, 0)]
    ring = [[108.8 + x / 100, 15.1 + y / 100] for x, y in lobes]
    path = tmp_path / "ok.geojson"
    path.write_text(collection(feature("21211", {"type": "Polygon", "coordinates": [ring]})))
    assert boundaries_load(path=path) == 1
    stored = Boundary.objects.get(unit__code="21211").geometry
    assert stored["type"] in ("Polygon", "MultiPolygon")
    from shapely.geometry import shape  # type: ignore[import-untyped]

    assert shape(stored).is_valid and abs(shape(stored).area - 3e-4) < 1e-9
