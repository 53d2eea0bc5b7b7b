"""System checks of the signing settings; `tiendo check` reports them (ids stable)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def check_timestamp_authority(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """TIENDO_TSA_URL, when set, is an http(s) URL; credentials are not sent over plain HTTP."""
    url = settings.TIENDO_TSA_URL
    if not url:
        return []
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [
            checks.Error(
                f"TIENDO_TSA_URL is not an http(s) URL: {url!r}.",
                hint="Give the RFC 3161 time-stamp authority's URL, e.g. https://tsa.example.vn/tsa, "
                "or leave it empty for PAdES B-B seals.",
                id="tiendo.documents.E001",
            )
        ]
    if parts.scheme == "http" and (settings.TIENDO_TSA_USERNAME or settings.TIENDO_TSA_PASSWORD):
        return [
            checks.Warning(
                "TIENDO_TSA_USERNAME/TIENDO_TSA_PASSWORD would travel in clear over http://.",
                hint="Use the time-stamp authority's https:// URL.",
                id="tiendo.documents.W001",
            )
        ]
    return []
