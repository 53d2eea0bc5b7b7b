"""A dataset version as a Frictionless Data Package v2 descriptor (https://datapackage.org/).

One package, one resource: the version's rows as the CSV the download serves, typed by the version's
Table Schema. The resource's `hash` and `bytes` are those of the download's body (`csv_digest` over
the rows as the database gives them back), so `frictionless validate` checks the very file a reader
downloaded. The version's own `sha256` (`tables.rows_hash` at upload) is the same digest on SQLite,
but not always on PostgreSQL: jsonb writes a float such as 1e20 back as 100000000000000000000.

The paths are given by the caller: absolute URLs for the descriptor served on the web, `data.csv`
for a package written to a folder beside its CSV.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tiendo.opendata.models import Dataset, DatasetVersion
from tiendo.opendata.tables import csv_lines

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
RESOURCE_NAME = "data"


def csv_digest(names: list[str], rows: Iterable[dict[str, Any]]) -> tuple[str, int]:
    """The sha256 and the size in bytes of the CSV the download writes for these rows."""
    digest = hashlib.sha256()
    size = 0
    for line in csv_lines(names, rows):
        data = line.encode()
        digest.update(data)
        size += len(data)
    return digest.hexdigest(), size


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _licence(dataset: Dataset) -> dict[str, str]:
    licence = dataset.licence
    entry = {"name": licence.id, "title": licence.title_en or licence.title}
    if licence.url:
        entry["path"] = licence.url
    return entry


def _contributor(dataset: Dataset, homepage: str) -> dict[str, Any]:
    publisher = dataset.publisher
    entry: dict[str, Any] = {"title": publisher.name, "roles": ["publisher"]}
    if dataset.contact_email:
        entry["email"] = dataset.contact_email
    if homepage:
        entry["path"] = homepage
    return entry


def descriptor(
    *,
    dataset: Dataset,
    version: DatasetVersion,
    data_path: str,
    digest: tuple[str, int] | None = None,
    homepage: str = "",
) -> dict[str, Any]:
    """The `datapackage.json` of one version of a dataset, its resource at `data_path`; `digest`
    (sha256, bytes) of that file as `csv_digest` gives it, or None to leave them out."""
    package: dict[str, Any] = {
        "$schema": PROFILE,
        "name": dataset.name,
        "id": str(dataset.uid),
        "title": dataset.title,
        "version": str(version.number),
        "created": _rfc3339(version.created_at),
        "licenses": [_licence(dataset)],
        "contributors": [_contributor(dataset, homepage)],
    }
    if dataset.description:
        package["description"] = dataset.description
    if dataset.keywords:
        package["keywords"] = list(dataset.keywords)
    if homepage:
        package["homepage"] = homepage
    source = version.provenance or version.filename or dataset.get_source_display()
    package["sources"] = [{"title": str(source), **({"path": homepage} if homepage else {})}]
    resource: dict[str, Any] = {
        "name": RESOURCE_NAME,
        "path": data_path,
        "title": dataset.title,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
    }
    if digest is not None:
        resource["hash"] = f"sha256:{digest[0]}"
        resource["bytes"] = digest[1]
    resource["dialect"] = {"header": True, "delimiter": ",", "lineTerminator": "\n"}
    resource["schema"] = version.schema
    package["resources"] = [resource]
    return package
