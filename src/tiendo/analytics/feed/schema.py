"""The feed's shape: the CSV columns, the stored fields in order, the batch records of the API, and
what an import returns or raises (docs/dossier-feed-format.md).

CSV columns (header row required, UTF-8):
  dossier_id, procedure_code, level (tinh|xa), unit_code, received_at, due_at, resolved_at,
  channel (truc_tiep|mot_phan|toan_trinh), vneid, result_eligible, result_electronic (0|1),
  rating (1–5 or empty), status (received|processing|resolved|cancelled), simulated (0|1, optional)
Times are ISO 8601 (`2025-03-14T08:30:00+07:00`; without an offset, Asia/Ho_Chi_Minh; a date alone
is midnight). Months are calendar months of `received_at` in local time (a record feed is not a
Nghị định 09 report; its cells are the months the dossiers arrived in).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError

COLUMNS = [
    "dossier_id",
    "procedure_code",
    "level",
    "unit_code",
    "received_at",
    "due_at",
    "resolved_at",
    "channel",
    "vneid",
    "result_eligible",
    "result_electronic",
    "rating",
    "status",
]
OPTIONAL = ["simulated"]
LEVELS = {"tinh", "xa"}
CHANNELS = {"truc_tiep", "mot_phan", "toan_trinh"}
STATUSES = {"received", "processing", "resolved", "cancelled"}
FLAGS = {"0": False, "1": True, "": False, "false": False, "true": True}
RATINGS = {"1", "2", "3", "4", "5"}
MAX_REPORTED = 200  # bad lines named in a report; the rest are counted

# A dossier as it is stored, in the order of the values `parse_rows` yields.
DOSSIER_FIELDS = [
    "dossier_id",
    "procedure_code",
    "level",
    "unit_id",
    "received_at",
    "due_at",
    "resolved_at",
    "channel",
    "vneid",
    "result_eligible",
    "result_electronic",
    "rating",
    "status",
    "is_simulated",
    "received_month",
    "flags",
]
# a stored dossier counts in (unit, month, flags): what the pre-aggregate follows
UNIT_AT, MONTH_AT, FLAGS_AT = (
    DOSSIER_FIELDS.index("unit_id"),
    DOSSIER_FIELDS.index("received_month"),
    DOSSIER_FIELDS.index("flags"),
)
TIMES = [DOSSIER_FIELDS.index(c) for c in ("received_at", "due_at", "resolved_at")]

# One checked dossier: the values of DOSSIER_FIELDS.
DossierValues = tuple[Any, ...]


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cells: set[tuple[int, int]] = field(default_factory=set)  # (unit_id, YYYYMM) whose counts changed
    seconds: float = 0.0


class DossierFileError(ApplicationError):
    """A file or batch with bad lines: each named with its reason (the first MAX_REPORTED), and the total."""

    code = "invalid_file"
    status_code = 422

    def __init__(self, errors: list[str], total: int) -> None:
        self.errors = errors
        self.total = total
        more = (
            "\n" + _("… và %(count)s lỗi khác") % {"count": total - len(errors)}
            if total > len(errors)
            else ""
        )
        super().__init__("\n".join(errors) + more)


def record_rows(records: Iterable[Mapping[str, object]]) -> Iterable[list[str]]:
    """Records of the API as CSV cells, header first: the same checks and messages as a file."""
    header = COLUMNS + OPTIONAL
    yield header
    for record in records:
        yield [_cell(record.get(column)) for column in header]


def _cell(raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "1" if raw else "0"
    return str(raw)
