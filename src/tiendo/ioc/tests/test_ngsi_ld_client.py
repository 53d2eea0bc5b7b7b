"""A real NGSI-LD client from PyPI — ngsildclient (Orange) — against a live tiendo, unchanged.

ngsildclient pins old versions of httpx and rich, so it lives in its own virtual environment
(.venv-ngsi, made by `scripts/install.sh --test`) and runs as a subprocess (clients/ngsild_probe.py).
Under CI=true a missing .venv-ngsi is a failure, not a skip."""

import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tiendo.conftest import IN_CI, load_shipped_data
from tiendo.ioc.ingest import IncomingReading, readings_ingest
from tiendo.ioc.registry import SHIPPED_REGISTRY, registry_load
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.reporting.tokens import apitoken_create

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[4]
PYTHON = ROOT / ".venv-ngsi" / "bin" / "python"
PROBE = Path(__file__).parent / "clients" / "ngsild_probe.py"


@pytest.fixture
def probe_token(live_server, django_user_model):
    if not PYTHON.exists():
        message = f"{PYTHON} is missing: run scripts/install.sh --test"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    load_shipped_data()
    registry_load(path=SHIPPED_REGISTRY)
    now = timezone.now()
    readings_ingest(
        readings=[
            IncomingReading(
                device="aq-dungquat-01", metric="pm25", ts=now - timedelta(minutes=m), value=float(m)
            )
            for m in (30, 20, 10)
        ],
        source="test",
        now=now,
    )
    user = django_user_model.objects.create_user("fiware.client", password="mat-khau-rat-dai-1")
    Membership.objects.create(user=user, unit=OrgUnit.objects.get(code="51"), role=Membership.Role.ADMIN)
    return apitoken_create(actor=None, user=user, name="fiware", scopes=["read"]).secret


def test_ngsildclient_connects_queries_reads_entities_and_their_history(live_server, probe_token):
    done = subprocess.run(
        [str(PYTHON), str(PROBE), live_server.url, probe_token], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["connected"] is True
    assert seen["station"]["type"] == "Device"
    assert seen["station"]["pm25"]["value"] == 10.0
    assert seen["device_count"] == len(seen["device_ids"]) == 12
    assert "urn:ngsi-ld:Device:vms-qng-9001-ts" in seen["device_ids"]
    assert seen["kpi_count"] > 30
    assert seen["kpi_first"]["type"] == "KeyPerformanceIndicator"
    assert seen["air"]["pm25"]["unitCode"] == "GQ"
    assert [value for value, _at in seen["history"]["numValue"]["values"]] == [30.0, 20.0, 10.0]
