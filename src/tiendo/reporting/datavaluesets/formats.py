"""DHIS2's three wire formats of a data value set: JSON (the dict itself), XML and CSV.

XML is DHIS2's dxf2 `dataValueSet` (namespace http://dhis2.org/schema/dxf/2.0, every field an
attribute), parsed with defusedxml: a DOCTYPE, an entity or an external reference is refused before
anything is read. CSV has DHIS2's column order (below), a header row unless `firstRowIsHeader=false`.
Both are turned into the JSON payload's dict, so one import path checks them all.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext

from tiendo.core.exceptions import ApplicationError

DXF_NAMESPACE = "http://dhis2.org/schema/dxf/2.0"
CSV_COLUMNS = (
    "dataelement",
    "period",
    "orgunit",
    "categoryoptioncombo",
    "attributeoptioncombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
    "deleted",
)
# the CSV column → the JSON field
_CSV_FIELDS = dict(
    zip(
        CSV_COLUMNS,
        (
            "dataElement",
            "period",
            "orgUnit",
            "categoryOptionCombo",
            "attributeOptionCombo",
            "value",
            "storedBy",
            "lastUpdated",
            "comment",
            "followup",
            "deleted",
        ),
        strict=True,
    )
)
# characters XML 1.0 cannot carry, even escaped (C0 controls but tab/newline/return, U+FFFE/U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# what a spreadsheet reads as the start of a formula (OWASP "CSV injection"); "-" only before a non-number
_FORMULA_START = ("=", "+", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_HEADER_FIELDS = ("dataSet", "completeDate", "period", "orgUnit", "attributeOptionCombo")
_VALUE_FIELDS = tuple(_CSV_FIELDS.values()) + ("created",)


class PayloadError(ApplicationError):
    """A body that cannot be read in the format it claims (or a parameter that cannot be used)."""

    code = "unreadable"


class PayloadShapeError(PayloadError):
    """A readable body that is not a data value set."""

    status_code = 409


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xml_parse(body: bytes) -> dict[str, Any]:
    """A `<dataValueSet>` document as the JSON payload's dict."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise PayloadError(
            gettext("XML bị từ chối: không nhận DOCTYPE, thực thể (entity) hay tham chiếu ngoài (%(what)s)")
            % {"what": type(exc).__name__},
            field="body",
        ) from exc
    except ParseError as exc:
        raise PayloadError(gettext("XML không hợp lệ: %(error)s") % {"error": exc}, field="body") from exc
    if _local(root.tag) != "dataValueSet":
        raise PayloadShapeError(
            gettext("Phần tử gốc phải là <dataValueSet> (nhận: <%(tag)s>)") % {"tag": _local(root.tag)},
            field="body",
        )
    payload: dict[str, Any] = {k: v for k, v in root.attrib.items() if k in _HEADER_FIELDS}
    payload["dataValues"] = [
        _xml_value(child) for child in root if isinstance(child.tag, str) and _local(child.tag) == "dataValue"
    ]
    return payload


def _xml_value(element: Element) -> dict[str, Any]:
    entry: dict[str, Any] = dict(element.attrib)
    for child in element:  # DHIS2 also writes <value>…</value> and <comment>…</comment> as children
        if isinstance(child.tag, str):
            entry[_local(child.tag)] = child.text or ""
    return entry


def csv_parse(body: bytes, *, first_row_is_header: bool = True) -> dict[str, Any]:
    """DHIS2 CSV (columns in DHIS2's order, UTF-8) as the JSON payload's dict."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PayloadError(
            gettext("CSV phải là UTF-8 (byte %(position)s không đọc được)") % {"position": exc.start},
            field="body",
        ) from exc
    if "\x00" in text:
        raise PayloadError(gettext("CSV chứa ký tự NUL"), field="body")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise PayloadError(gettext("CSV không hợp lệ: %(error)s") % {"error": exc}, field="body") from exc
    if first_row_is_header and rows:
        rows = rows[1:]
    values = []
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        entry = {field: cell for field, cell in zip(_CSV_FIELDS.values(), row, strict=False) if cell != ""}
        entry.setdefault("value", "")
        values.append(entry)
    return {"dataValues": values}


def xml_render(payload: dict[str, Any]) -> bytes:
    """An export as DHIS2's dataValueSet XML."""
    root = Element("dataValueSet", {"xmlns": DXF_NAMESPACE})
    for name in _HEADER_FIELDS:
        if payload.get(name):
            root.set(name, _xml_text(payload[name]))
    for value in payload.get("dataValues", []):
        SubElement(
            root,
            "dataValue",
            {k: _xml_text(value[k]) for k in _VALUE_FIELDS if k in value and value[k] is not None},
        )
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(
        root, encoding="utf-8", xml_declaration=False
    )


def csv_render(payload: dict[str, Any]) -> str:
    """An export as DHIS2 CSV: a header row, then one row per value in DHIS2's column order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for value in payload.get("dataValues", []):
        writer.writerow([_csv_cell(value.get(field, "")) for field in _CSV_FIELDS.values()])
    return out.getvalue()


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _xml_text(value: object) -> str:
    """Text an XML parser accepts: a character XML 1.0 cannot hold (a control character a comment
    typed on the form may carry) becomes U+FFFD, so one value never makes the whole export unreadable."""
    return _NOT_XML.sub("\ufffd", _text(value))


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run: text starting like a formula (=, +, @, tab, return, or "-"
    before something that is not a number) gets a leading apostrophe; numbers stay as they are."""
    text = _text(value)
    risky = text.startswith(_FORMULA_START) or (text.startswith("-") and not _NUMBER.fullmatch(text))
    return "'" + text if risky else text
