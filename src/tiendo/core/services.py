from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from tiendo.core.models import AuditLog


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    actor_label: str = "",
    action: str,
    obj: Any,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditLog:
    """Write one audit row. Call it inside the transaction of the change it records."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
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
