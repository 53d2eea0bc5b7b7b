from __future__ import annotations

from ninja import Schema


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
    def resolve_parent(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None
