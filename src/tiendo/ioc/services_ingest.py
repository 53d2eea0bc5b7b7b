"""HTTP batch ingest for systems that cannot speak MQTT: who may send, and retries made harmless.

A batch is all or nothing (every bad reading named, nothing stored). A sender may write only for
devices of the units it operates (the office: all); another unit's device is "unknown" to it. With an
`Idempotency-Key`, the first successful answer is kept: the same key with the same body gets that
answer again and stores nothing; the same key with another body is refused. A refused batch is not
kept, so fixing the data and retrying with the same key works.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.types import Actor
from tiendo.ioc.ingest import IncomingReading, ReadingsRefusedError, readings_ingest
from tiendo.ioc.models import IngestRequest
from tiendo.ioc.selectors import ACTING_ROLES
from tiendo.orgunits.models import Membership
from tiendo.orgunits.selectors import user_is_office_admin

MAX_READINGS = 5000
KEY_MAX = 200


class IdempotencyKeyReusedError(ApplicationError):
    status_code = 422
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class IngestAnswer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def ingest_unit_paths(*, user: Actor) -> tuple[str, ...] | None:
    """The units a user may send readings for (None: all, the office); refuses a user with none."""
    if user_is_office_admin(user):
        return None
    paths = (
        tuple(
            Membership.objects.filter(user=user, role__in=ACTING_ROLES).values_list("unit__path", flat=True)
        )
        if user.is_authenticated
        else ()
    )
    if not paths:
        raise PermissionDeniedError(
            _("Chỉ Văn phòng CĐS và cán bộ trực vận hành IOC của đơn vị mới được nạp số đo")
        )
    return paths


def _replay(*, user: User, key: str, body_hash: str) -> IngestAnswer | None:
    earlier = IngestRequest.objects.filter(user=user, key=key).first()
    if earlier is None:
        return None
    if earlier.body_hash != body_hash:
        raise IdempotencyKeyReusedError(
            _("Idempotency-Key này đã dùng cho một lô số đo khác; hãy dùng khóa mới cho lô mới"),
            field="Idempotency-Key",
        )
    return IngestAnswer(status_code=earlier.status_code, body=earlier.response, replayed=True)


def readings_ingest_http(
    *,
    user: Actor,
    readings: list[IncomingReading],
    body: bytes,
    idempotency_key: str | None,
    now: datetime | None = None,
) -> IngestAnswer:
    """Store one HTTP batch for `user` (see the module's text); raises ReadingsRefusedError (422)."""
    unit_paths = ingest_unit_paths(user=user)
    if not isinstance(user, User):  # ingest_unit_paths refused anyone not signed in already
        raise PermissionDeniedError(_("Cần đăng nhập"))
    key = (idempotency_key or "").strip()
    if len(key) > KEY_MAX:
        raise ApplicationError(
            _("Idempotency-Key: tối đa %(n)s ký tự") % {"n": KEY_MAX}, field="Idempotency-Key"
        )
    if len(readings) > MAX_READINGS:
        raise ApplicationError(
            _("Tối đa %(n)s số đo mỗi lần gửi") % {"n": f"{MAX_READINGS:,}".replace(",", ".")},
            field="readings",
        )
    body_hash = hashlib.sha256(body).hexdigest()
    if key and (earlier := _replay(user=user, key=key, body_hash=body_hash)) is not None:
        return earlier
    now = now or timezone.now()
    try:
        outcome = _store_once(
            user=user, readings=readings, key=key, body_hash=body_hash, now=now, unit_paths=unit_paths
        )
    except IntegrityError:
        # the same key sent twice at once: the other request stored the batch; answer as it did
        replayed = _replay(user=user, key=key, body_hash=body_hash) if key else None
        if replayed is None:
            raise
        return replayed
    if isinstance(outcome, ReadingsRefusedError):
        raise outcome
    return IngestAnswer(status_code=200, body=outcome)


def _store_once(
    *,
    user: User,
    readings: list[IncomingReading],
    key: str,
    body_hash: str,
    now: datetime,
    unit_paths: tuple[str, ...] | None,
) -> dict[str, int] | ReadingsRefusedError:
    """The batch and its key in one transaction; a refused batch leaves only its refusals' counts."""
    with transaction.atomic():
        try:
            result = readings_ingest(
                readings=readings,
                source=f"http:{user.get_username()}",
                all_or_nothing=True,
                now=now,
                unit_paths=unit_paths,
            )
        except ReadingsRefusedError as exc:
            return exc
        answer = {
            "received": len(readings),
            "stored": len(readings) - result.duplicates,
            "duplicates": result.duplicates,
        }
        if key:
            IngestRequest.objects.create(
                user=user, key=key, body_hash=body_hash, status_code=200, response=answer, created_at=now
            )
    return answer
