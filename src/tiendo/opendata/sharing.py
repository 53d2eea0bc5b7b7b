"""Sharing between agencies, governed (the LGSP's job): systems registered with their owner, purpose
and legal basis; keys with scopes per dataset and per API area, an expiry, rotation without downtime
and revocation; a limit of requests per minute per key; access asked for and granted or refused
with a reason; every read of shared or restricted data logged.

Who manages a system and its keys: the CĐS office and the admins of the system's owner unit. Who
decides a request: whoever manages the dataset (its publisher's admins and reporters, the office).
Every change is audited in its transaction.

Keys travel as CKAN's do, `Authorization: tdsk_…` (ckanapi sends its apikey that way), or
`Authorization: SystemKey tdsk_…`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.opendata.models import AccessLog, AccessRequest, Dataset, KeyMinute, System, SystemKey
from tiendo.opendata.selectors import dataset_can_manage, member_paths
from tiendo.opendata.services import counter_increment
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin

KEY_PREFIX = "tdsk_"
MAX_KEY_DAYS = 365
DEFAULT_OVERLAP_DAYS = 7


class KeyRefusedError(ApplicationError):
    """A known key that may no longer be used (expired, revoked, its system inactive): 401."""

    status_code = 401
    code = "key_refused"


@dataclass(frozen=True)
class IssuedKey:
    key: SystemKey
    secret: str


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def system_can_manage(user: Actor, owner: OrgUnit) -> bool:
    if user_is_office_admin(user):
        return True
    return any(owner.path.startswith(path) for path in member_paths(user, (Membership.Role.ADMIN,)))


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDeniedError(_("Bạn không quản lý hệ thống này."))


def system_register(
    *, actor: Actor, name: str, owner: OrgUnit, purpose: str, legal_basis: str, contact_email: str = ""
) -> System:
    _require(system_can_manage(actor, owner))
    for field, value, label in (
        ("name", name, _("Tên hệ thống")),
        ("purpose", purpose, _("Mục đích sử dụng dữ liệu")),
        ("legal_basis", legal_basis, _("Căn cứ pháp lý")),
    ):
        if not value.strip():
            raise ApplicationError(_("%(label)s: không được để trống.") % {"label": label}, field=field)
    with transaction.atomic():
        system = System.objects.create(
            name=name.strip()[:200],
            owner=owner,
            purpose=purpose.strip(),
            legal_basis=legal_basis.strip()[:500],
            contact_email=contact_email.strip(),
            created_by=actor if actor.is_authenticated else None,
        )
        audit_record(
            actor=actor, action="opendata.system.register", obj=system, changes={"owner": owner.code}
        )
    return system


def _clean_areas(areas: list[str]) -> list[str]:
    unknown = set(areas) - set(SystemKey.Area.values)
    if unknown or not areas:
        raise ApplicationError(
            _("Phạm vi API phải là một hoặc nhiều trong: %(areas)s.")
            % {"areas": ", ".join(SystemKey.Area.values)},
            field="areas",
        )
    return sorted(set(areas))


def systemkey_issue(
    *,
    actor: Actor,
    system: System,
    name: str,
    areas: list[str],
    datasets: list[Dataset] | None = None,
    days: int = 90,
    rate_per_minute: int = 120,
) -> IssuedKey:
    """A new key; the secret is in the answer and never again."""
    _require(system_can_manage(actor, system.owner))
    if not 1 <= days <= MAX_KEY_DAYS:
        raise ApplicationError(
            _("Số ngày hiệu lực phải từ 1 đến %(max)s.") % {"max": MAX_KEY_DAYS}, field="days"
        )
    if not 1 <= rate_per_minute <= 100_000:
        raise ApplicationError(_("Giới hạn mỗi phút phải từ 1 đến 100.000."), field="rate_per_minute")
    if not name.strip():
        raise ApplicationError(_("Tên khóa: không được để trống."), field="name")
    return _issue(
        actor, system, name.strip()[:100], _clean_areas(areas), datasets or [], days, rate_per_minute
    )


def _issue(
    actor: Actor | None,
    system: System,
    name: str,
    areas: list[str],
    datasets: list[Dataset],
    days: int | timedelta,
    rate: int,
) -> IssuedKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    lifetime = days if isinstance(days, timedelta) else timedelta(days=days)
    with transaction.atomic():
        key = SystemKey.objects.create(
            system=system,
            name=name,
            prefix=secret[:12],
            key_hash=key_hash(secret),
            areas=areas,
            rate_per_minute=rate,
            expires_at=timezone.now() + lifetime,
        )
        key.datasets.set(datasets)
        audit_record(
            actor=actor,
            action="opendata.key.issue",
            obj=key,
            changes={"areas": areas, "datasets": [d.name for d in datasets], "rate_per_minute": rate},
        )
    return IssuedKey(key=key, secret=secret)


def systemkey_rotate(*, actor: Actor, key: SystemKey, overlap_days: int = DEFAULT_OVERLAP_DAYS) -> IssuedKey:
    """A new key with the same scopes and lifetime; the old one keeps working for `overlap_days`
    (0: it stops now), so the system can deploy the new one without a gap."""
    _require(system_can_manage(actor, key.system.owner))
    if not 0 <= overlap_days <= 30:
        raise ApplicationError(_("Thời gian dùng song song phải từ 0 đến 30 ngày."), field="overlap_days")
    with transaction.atomic():
        old = SystemKey.objects.select_for_update().get(pk=key.pk)
        if old.revoked_at is not None or old.replaced_by_id is not None:
            raise ApplicationError(_("Khóa này đã bị thu hồi hoặc đã được đổi."), field="key")
        lifetime = old.expires_at - old.created_at
        issued = _issue(
            actor,
            old.system,
            old.name,
            list(old.areas),
            list(old.datasets.all()),
            lifetime,
            old.rate_per_minute,
        )
        old.replaced_by = issued.key
        old.expires_at = min(old.expires_at, timezone.now() + timedelta(days=overlap_days))
        old.save(update_fields=["replaced_by", "expires_at"])
        audit_record(
            actor=actor, action="opendata.key.rotate", obj=old, changes={"until": old.expires_at.isoformat()}
        )
    return issued


def systemkey_revoke(*, actor: Actor, key: SystemKey) -> SystemKey:
    _require(system_can_manage(actor, key.system.owner))
    with transaction.atomic():
        locked = SystemKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="opendata.key.revoke", obj=locked)
    return locked


def systemkey_authenticate(secret: str) -> SystemKey | None:
    """The key a secret names (its system loaded), None if none; KeyRefusedError saying why when it
    may no longer be used. The time of use is kept at most once a minute."""
    if not secret.startswith(KEY_PREFIX):
        return None
    key = (
        SystemKey.objects.select_related("system", "system__owner").filter(key_hash=key_hash(secret)).first()
    )
    if key is None:
        return None
    now = timezone.now()
    if key.revoked_at is not None:
        raise KeyRefusedError(_("Khóa đã bị thu hồi."))
    if key.expires_at <= now:
        raise KeyRefusedError(_("Khóa đã hết hạn."))
    if not key.system.active:
        raise KeyRefusedError(_("Hệ thống của khóa đã ngừng hoạt động."))
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        SystemKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def rate_limit_take(key: SystemKey) -> int | None:
    """Count one request of the key in this minute; the seconds to wait (Retry-After) when the
    minute's allowance is spent, else None."""
    now = timezone.now()
    count = counter_increment(KeyMinute, key=key, minute=now.replace(second=0, microsecond=0))
    if count > key.rate_per_minute:
        return max(1, 60 - now.second)
    return None


# ------------------------------------------------------------------------------------ access requests


def access_request_create(*, actor: Actor, system: System, dataset: Dataset, purpose: str) -> AccessRequest:
    """A system's owner asks for a shared or restricted dataset."""
    _require(system_can_manage(actor, system.owner))
    if dataset.state != Dataset.State.PUBLISHED or dataset.access == Dataset.Access.PUBLIC:
        raise ApplicationError(
            _(
                "Chỉ xin quyền đọc bộ dữ liệu dùng chung hoặc hạn chế đã công bố; dữ liệu mở ai cũng đọc được."
            ),
            field="dataset",
        )
    if not purpose.strip():
        raise ApplicationError(_("Mục đích sử dụng: không được để trống."), field="purpose")
    try:
        with transaction.atomic():
            request = AccessRequest.objects.create(
                system=system,
                dataset=dataset,
                purpose=purpose.strip(),
                asked_by=actor if actor.is_authenticated else None,
            )
            audit_record(
                actor=actor, action="opendata.access.request", obj=request, changes={"dataset": dataset.name}
            )
    except IntegrityError:
        raise ApplicationError(
            _("Hệ thống này đã có yêu cầu đang chờ hoặc đã được cấp quyền cho bộ dữ liệu này."),
            field="dataset",
        ) from None
    return request


def access_request_decide(*, actor: Actor, request: AccessRequest, grant: bool, reason: str) -> AccessRequest:
    """The publisher grants or refuses, always with a reason."""
    if not dataset_can_manage(actor, request.dataset):
        raise PermissionDeniedError(_("Bạn không quản lý bộ dữ liệu này."))
    if not reason.strip():
        raise ApplicationError(_("Lý do: không được để trống."), field="reason")
    return _decide(
        actor,
        request,
        AccessRequest.Status.GRANTED if grant else AccessRequest.Status.REFUSED,
        reason,
        AccessRequest.Status.PENDING,
    )


def access_revoke(*, actor: Actor, request: AccessRequest, reason: str) -> AccessRequest:
    if not dataset_can_manage(actor, request.dataset):
        raise PermissionDeniedError(_("Bạn không quản lý bộ dữ liệu này."))
    if not reason.strip():
        raise ApplicationError(_("Lý do: không được để trống."), field="reason")
    return _decide(actor, request, AccessRequest.Status.REVOKED, reason, AccessRequest.Status.GRANTED)


def _decide(actor: Actor, request: AccessRequest, status: str, reason: str, expected: str) -> AccessRequest:
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != expected:
            raise ApplicationError(
                _("Yêu cầu đang ở trạng thái “%(status)s”; không thể làm việc này.")
                % {"status": locked.get_status_display()},
                field="status",
            )
        before = locked.status
        locked.status, locked.decided_at = status, timezone.now()
        locked.decided_by = actor if isinstance(actor, User) else None
        locked.decision_reason = reason.strip()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(
            actor=actor,
            action=f"opendata.access.{status}",
            obj=locked,
            changes={"status": [before, status]},
            reason=reason,
        )
    return locked


def access_log_record(
    *,
    dataset: Dataset,
    action: str,
    rows: int,
    query: dict[str, Any] | None = None,
    key: SystemKey | None = None,
    user: Actor | None = None,
) -> None:
    """Log a read of shared or restricted rows (open data is not logged per read: it is counted)."""
    if dataset.access == Dataset.Access.PUBLIC and dataset.state == Dataset.State.PUBLISHED:
        return
    AccessLog.objects.create(
        dataset=dataset,
        system=key.system if key is not None else None,
        key=key,
        user=user if user is not None and user.is_authenticated else None,
        action=action[:40],
        query=query or {},
        rows=rows,
    )
