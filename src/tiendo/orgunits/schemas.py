from __future__ import annotations

from typing import TYPE_CHECKING

from ninja import Schema

if TYPE_CHECKING:
    from tiendo.orgunits.models import OrgUnit


class OrgUnitListIn(Schema):
    kind: str | None = None
    q: str = ""
    parent: str | None = None


class OrgUnitOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str
    division_type: str
    parent: str | None

    @staticmethod
    def resolve_parent(obj: OrgUnit) -> str | None:
        return obj.parent.code if obj.parent else None
