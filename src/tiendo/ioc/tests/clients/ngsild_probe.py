"""Run by the NGSI-LD client test with ngsildclient's own Python (.venv-ngsi): a FIWARE client from
PyPI (Orange's ngsildclient) talking to a live tiendo, unchanged. Prints what it read as JSON.

    .venv-ngsi/bin/python ngsild_probe.py http://127.0.0.1:PORT TOKEN
"""

import json
import sys
from urllib.parse import urlsplit

import requests
from ngsildclient import Client  # type: ignore[import-not-found]


class ApiToken(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"ApiToken {self.token}"
        return request


def main() -> None:
    url, token = sys.argv[1], sys.argv[2]
    parts = urlsplit(url)
    client = Client(hostname=parts.hostname, port=parts.port, custom_auth=ApiToken(token))
    station = client.entities.get("urn:ngsi-ld:Device:aq-dungquat-01")
    devices = client.query(type="Device")
    kpis = client.query(type="KeyPerformanceIndicator", limit=10)
    air = client.get("urn:ngsi-ld:AirQualityObserved:aq-dungquat-01")
    history = client.temporal.get("urn:ngsi-ld:DeviceMeasurement:aq-dungquat-01:pm25")
    print(
        json.dumps(
            {
                "connected": client.is_connected(),
                "station": station.to_dict(),
                "device_ids": [d.id for d in devices],
                "device_count": client.entities.count(type="Device"),
                "kpi_count": len(kpis),
                "kpi_first": kpis[0].to_dict(),
                "air": air.to_dict(),
                "history": history,
            },
            default=str,
        )
    )
    client.close()


if __name__ == "__main__":
    main()
