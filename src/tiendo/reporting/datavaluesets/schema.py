"""The shapes of the exchange: the dataValueSets payload (pydantic) and the ImportSummary answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from django.utils.translation import gettext
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

STRATEGIES = ("CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE")
CHUNK = 500
# rows per INSERT: fewer round trips; 2,000 × 14 columns stays under PostgreSQL's 65,535 parameters
INSERT_BATCH = 2000


def _as_text(value: object) -> str | None:
    """An identifier as DHIS2 clients send it: any JSON scalar, read as its text."""
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
        """Each value as a DataValueIn, or None where the entry is not a JSON object."""
        return [
            DataValueIn.model_validate(item) if isinstance(item, dict) else None for item in self.dataValues
        ]


def payload_parse(payload: object) -> DataValueSetIn | None:
    """The payload as a DataValueSetIn, or None when it is not {"dataValues": [...]}."""
    if not isinstance(payload, dict):
        return None
    try:
        return DataValueSetIn.model_validate(payload)
    except ValidationError:
        return None


@dataclass
class ImportSummary:
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    strategy: str = "CREATE_AND_UPDATE"

    @property
    def status(self) -> str:
        return "ERROR" if self.conflicts else "SUCCESS"

    def conflict(self, index: int | None, obj: str, message: str, error_code: str = "E7600") -> None:
        """Record why a value (at `index`, or the request as a whole) is refused."""
        entry: dict[str, Any] = {"object": obj, "value": message, "errorCode": error_code}
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
                "idSchemes": {"idScheme": "CODE"},
            },
            "description": "Import process completed successfully"
            if ok
            else "Import was refused: nothing was written",
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
            "status": "OK" if ok else "ERROR",
            "message": "Import was successful."
            if ok
            else "One or more errors occurred, please see full details in import report.",
            "response": summary,
        }


def body_refused() -> str:
    return gettext('Thân yêu cầu phải là JSON {"dataValues": [...]}')
