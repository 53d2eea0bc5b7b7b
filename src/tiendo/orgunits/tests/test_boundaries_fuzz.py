"""hypothesis over the boundary loader with hostile GeoJSON: any JSON, any bytes, features of any
shape. The load either stores every feature or raises the domain error — never another exception —
and a refusal stores nothing."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiendo.core.exceptions import ApplicationError
from tiendo.core.models import AuditLog
from tiendo.orgunits.boundaries import boundaries_load
from tiendo.orgunits.models import Boundary

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NUMBER = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**20), 10**20),
    st.sampled_from([108.8, 15.1, 0, -180, 90]),
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBER, st.text(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)
POINT = st.lists(NUMBER, min_size=0, max_size=3)
RING = st.lists(POINT, max_size=6)
GEOMETRY = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["Polygon", "MultiPolygon", "Point", "Banana", "GeometryCollection", "LineString"]
            ),
            "coordinates": st.one_of(
                st.lists(RING, max_size=3), st.lists(st.lists(RING, max_size=2), max_size=2), JSON
            ),
        }
    ),
)
FEATURE = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {
            "type": st.just("Feature"),
            "properties": st.one_of(
                JSON,
                st.fixed_dictionaries(
                    {"code": st.one_of(st.sampled_from(["21211", "21172", "", "99999"]), JSON)}
                ),
            ),
            "geometry": GEOMETRY,
        }
    ),
)


def load_or_refuse(tmp_path, content: bytes) -> None:
    path = tmp_path / "ranh-gioi.geojson"
    path.write_bytes(content)
    before = (Boundary.objects.count(), AuditLog.objects.count())
    try:
        boundaries_load(path=path)
    except ApplicationError:
        assert (Boundary.objects.count(), AuditLog.objects.count()) == before


@FUZZ
@given(features=st.lists(FEATURE, max_size=4))
def test_any_features_are_stored_or_refused_whole(tmp_path, shipped_data, features):
    load_or_refuse(tmp_path, json.dumps({"type": "FeatureCollection", "features": features}).encode())


@FUZZ
@given(content=st.one_of(st.binary(max_size=300), JSON.map(lambda value: json.dumps(value).encode())))
def test_any_bytes_or_json_are_stored_or_refused_whole(tmp_path, shipped_data, content):
    load_or_refuse(tmp_path, content)
