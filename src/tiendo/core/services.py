from __future__ import annotations

from typing import Any

from tiendo.core.models import AuditLog
from tiendo.core.types import Actor


def audit_record(
    *,
    actor: Actor | None,
    actor_label: str = "",
    action: str,
    obj: Any,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditLog:
    """Write one audit row. Call it inside the transaction of the change it records."""
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditLog.objects.create(
        actor=user,
        actor_label=actor_label or (str(user) if user else "system"),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_label=str(obj)[:300],
        changes=changes or {},
        reason=reason,
    )
