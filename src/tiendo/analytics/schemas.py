"""Input and output of the dossier feed's API operation."""

from __future__ import annotations

from ninja import Field, Schema

MAX_BATCH = 5000

Cell = str | int | bool | None


class DossierRecordIn(Schema):
    """One dossier as the CSV feed has it (docs: the dossier feed); checked by the same rules."""

    dossier_id: Cell = None
    procedure_code: Cell = None
    level: Cell = Field(None, description="tinh | xa")
    unit_code: Cell = None
    received_at: Cell = Field(None, description="ISO 8601; without an offset, Asia/Ho_Chi_Minh")
    due_at: Cell = None
    resolved_at: Cell = None
    channel: Cell = Field(None, description="truc_tiep | mot_phan | toan_trinh")
    vneid: Cell = False
    result_eligible: Cell = False
    result_electronic: Cell = False
    rating: Cell = Field(None, description="1–5 or empty")
    status: Cell = Field(None, description="received | processing | resolved | cancelled")
    simulated: Cell = False


class DossierBatchIn(Schema):
    feed: str = Field("dossiers", max_length=40)
    dossiers: list[DossierRecordIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class DossierBatchOut(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int
    cells: int = Field(description="(unit, month) cells whose counts changed")
