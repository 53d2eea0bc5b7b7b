"""The shapes of the exchange: the dataValueSets payload (pydantic) and the ImportSummary answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from django.utils.translation import gettext
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

STRATEGIES = ("CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE")
ID_SCHEMES = ("UID", "CODE", "NAME")
# ALL: tiendo's default, any conflict and nothing is written; NONE: DHIS2's, the valid values are written
ATOMIC_MODES = ("ALL", "NONE")
# the request property a conflict's error code is about (DHIS2 2.38+ names it in `property`)
PROPERTIES = {
    "E7610": "dataElement",
    "E7611": "period",
    "E7612": "orgUnit",
    "E7613": "categoryOptionCombo",
    "E7615": "attributeOptionCombo",
    "E7617": "orgUnit",
    "E7619": "value",
    "E7620": "dataElement",
    "E7633": "dataElement",
    "E7634": "orgUnit",
    "E7641": "period",
    "E7645": "dataElement",
    "E7651": "completeDate",
}
CHUNK = 500
# rows per INSERT: fewer round trips; 2,000 × 14 columns stays under PostgreSQL's 65,535 parameters
INSERT_BATCH = 2000


def _as_text(value: object) -> str | None:
    """An identifier as DHIS2 clients send it: any JSON scalar, read as its text (a list or object is refused)."""
    if isinstance(value, (dict, list)):
        raise ValueError("a text, not a list or an object")
    return None if value is None else str(value)


Code = Annotated[str | None, BeforeValidator(_as_text)]


class DataValueIn(BaseModel):
    """One entry of `dataValues`; fields left out fall back to the header's."""

    model_config = ConfigDict(extra="allow")  # storedBy, created, followup… are accepted and ignored

    dataElement: Code = None
    period: Code = None
    orgUnit: Code = None
    categoryOptionCombo: Code = None
    attributeOptionCombo: Code = None
    value: Any = None  # a string, a number or a boolean: `validation.parse_value` reads each
    comment: Code = None
    followup: bool | None = None  # read, not kept (tiendo has no follow-up list)
    deleted: bool | None = None  # true: the value is deleted (DHIS2)


class DataValueSetIn(BaseModel):
    """The request body: a header (dataSet, period, orgUnit, completeDate) and the values."""

    model_config = ConfigDict(extra="allow")

    dataSet: Code = None
    completeDate: Any = None
    period: Code = None
    orgUnit: Code = None
    attributeOptionCombo: Code = None
    dataValues: list[Any] = []  # (each entry is read on its own: see `entries`)

    def entries(self) -> list[DataValueIn | None]:
        """Each value as a DataValueIn, or None where the entry is not a JSON object of texts."""
        return [_entry(item) for item in self.dataValues]


def _entry(item: object) -> DataValueIn | None:
    if not isinstance(item, dict):
        return None
    try:
        return DataValueIn.model_validate(item)
    except ValidationError:
        return None


@dataclass(frozen=True)
class IdSchemes:
    """How identifiers are read and written, per kind: UID (DHIS2's default), CODE or NAME.

    AUTO, what a kind gets when the request names no scheme for it: an identifier is read as a UID
    and, when no record has that UID, as a code (tiendo's clients sent codes before UIDs existed);
    exports write UIDs.
    """

    data_element: str = "AUTO"
    org_unit: str = "AUTO"
    data_set: str = "AUTO"

    def as_dhis2(self) -> dict[str, str]:
        def shown(scheme: str) -> str:
            return "UID" if scheme == "AUTO" else scheme

        return {
            "idScheme": shown(self.data_element) if self.data_element == self.org_unit else "UID",
            "dataElementIdScheme": shown(self.data_element),
            "orgUnitIdScheme": shown(self.org_unit),
            "dataSetIdScheme": shown(self.data_set),
        }


def payload_parse(payload: object) -> tuple[DataValueSetIn | None, str, str]:
    """(the payload as a DataValueSetIn, "", ""), or (None, the field, why) when its shape is wrong."""
    if not isinstance(payload, dict):
        return None, "dataValues", body_refused()
    try:
        return DataValueSetIn.model_validate(payload), "", ""
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "dataValues"
        if where == "dataValues":
            return None, where, body_refused()
        message = gettext("Trường %(field)s sai kiểu: %(error)s") % {"field": where, "error": error["msg"]}
        return None, where, message


@dataclass
class ImportSummary:
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    strategy: str = "CREATE_AND_UPDATE"
    id_schemes: IdSchemes = field(default_factory=IdSchemes)
    atomic: str = "ALL"

    @property
    def partial(self) -> bool:
        """atomicMode=NONE: the valid values are written beside the conflicts (DHIS2's default)."""
        return self.atomic == "NONE"

    @property
    def status(self) -> str:
        if not self.conflicts:
            return "SUCCESS"
        return "WARNING" if self.partial else "ERROR"

    def conflict(
        self, index: int | None, obj: str, message: str, error_code: str = "E7600", prop: str | None = None
    ) -> None:
        """Record why a value (at `index`, or the request as a whole) is refused."""
        entry: dict[str, Any] = {"object": obj, "value": message, "errorCode": error_code}
        entry["property"] = prop or PROPERTIES.get(error_code, obj)
        if index is not None:
            entry["indexes"] = [index]
        self.conflicts.append(entry)

    def refuse_all(self, count: int) -> None:
        """Nothing is written: every value counts as ignored."""
        self.imported = self.updated = self.deleted = 0
        self.ignored = count

    def as_dhis2(self) -> dict[str, Any]:
        """DHIS2 2.38+ shape: a WebMessage wrapping the ImportSummary."""
        ok = not self.conflicts
        summary = {
            "responseType": "ImportSummary",
            "status": self.status,
            "importOptions": {
                "dryRun": self.dry_run,
                "importStrategy": self.strategy,
                "atomicMode": self.atomic,
                "idSchemes": self.id_schemes.as_dhis2(),
            },
            "description": "Import process completed successfully"
            if ok
            else (
                "Import process completed with conflicts: the valid values were written"
                if self.partial
                else "Import was refused: nothing was written"
            ),
            "importCount": {
                "imported": self.imported,
                "updated": self.updated,
                "ignored": self.ignored,
                "deleted": self.deleted,
            },
            "conflicts": self.conflicts,
        }
        return {
            "httpStatus": "OK" if ok else "Conflict",
            "httpStatusCode": 200 if ok else 409,
            "status": "OK" if ok else ("WARNING" if self.partial else "ERROR"),
            "message": "Import was successful."
            if ok
            else "One or more errors occurred, please see full details in import report.",
            "response": summary,
        }


def body_refused() -> str:
    return gettext('Thân yêu cầu phải là JSON {"dataValues": [...]}')
