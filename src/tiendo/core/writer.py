"""Upsert rows field by field and audit only what changed: what makes file loads idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.db.models import Model
from django.utils.translation import gettext as _

from tiendo.core.services import audit_record
from tiendo.core.types import Actor

M = TypeVar("M", bound=Model)


class Report(Protocol):
    created: list[str]
    updated: list[str]
    deleted: list[str]


@dataclass
class ChangeReport:
    """What a file load changed, row by row; `summary()` says it in the active language."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def summary(self) -> str:
        if not self.changed:
            return _("không có thay đổi")
        return _("%(c)d tạo mới, %(u)d cập nhật, %(d)d xóa") % {
            "c": len(self.created),
            "u": len(self.updated),
            "d": len(self.deleted),
        }


class AuditedWriter:
    """Upserts rows, compares field by field, and audits what actually changed."""

    def __init__(self, *, actor: Actor | None, actor_label: str, report: Report | None) -> None:
        self.actor = actor
        self.actor_label = actor_label
        self.report = report

    def upsert(self, model: type[M], *, lookup: dict[str, Any], values: dict[str, Any]) -> M:
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            obj.full_clean(validate_unique=False, validate_constraints=False)
            obj.save()
            self._audit(obj, "create", {k: _plain(v) for k, v in {**lookup, **values}.items()})
            self._note("created", obj)
            return obj
        changes = {}
        for key, value in values.items():
            current = getattr(obj, key)
            if _normalise(current) != _normalise(value):
                changes[key] = [_plain(current), _plain(value)]
                setattr(obj, key, value)
        if changes:
            obj.full_clean(validate_unique=False, validate_constraints=False)
            obj.save()
            self._audit(obj, "update", changes)
            self._note("updated", obj)
        return obj

    def delete(self, obj: Model) -> None:
        self._audit(obj, "delete", {})
        self._note("deleted", obj)
        obj.delete()

    def record(self, obj: Model, verb: str, changes: dict[str, Any]) -> None:
        """Audit and report a change made outside upsert/delete (e.g. a many-to-many set)."""
        self._audit(obj, verb, changes)
        self._note("updated", obj)

    def _audit(self, obj: Model, verb: str, changes: dict[str, Any]) -> None:
        audit_record(
            actor=self.actor,
            actor_label=self.actor_label,
            action=f"{obj._meta.model_name}.{verb}",
            obj=obj,
            changes=changes,
        )

    def _note(self, bucket: str, obj: Model) -> None:
        if self.report is not None:
            getattr(self.report, bucket).append(f"{obj._meta.model_name}: {obj}")


def _normalise(value: Any) -> Any:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return Decimal(value).normalize()
    if isinstance(value, Model):
        return (type(value), value.pk)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
