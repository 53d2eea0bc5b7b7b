"""API tokens (`Authorization: ApiToken d2pat_…`): issue, list, revoke, rotate, and check one.

A token lives `TIENDO_TOKEN_DAYS` days (90) unless asked otherwise, never more than
`TIENDO_TOKEN_MAX_DAYS` (365). Only its SHA-256 is stored; the secret is shown once.

**Rotation revokes the old secret at once.** Rotating is what one does when a secret may have
leaked, and an overlap would keep the leaked secret working. A system that must switch without a
gap gets a second token first (create), deploys it, then revokes the first: the overlap is then
explicit, named and audited.

Who may manage whose tokens: the CĐS office everyone's; a unit's admin those of the members wholly
inside their unit and the units below it; everyone their own. Anything else is "not found". Issuing
or rotating a token for someone else hands the actor a secret that acts as that person, so only the
office (and the operator's command) may; a unit's admin sees and revokes their members' tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.orgunits.models import Membership
from tiendo.orgunits.selectors import user_is_office_admin
from tiendo.reporting.models import ApiToken

TOKEN_PREFIX = "d2pat_"
SCOPES = ("read", "write", "ingest")  # ingest: IOC readings only (POST /api/v1/ioc/readings)
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


class TokenRefusedError(ApplicationError):
    """A known token that may no longer be used: 401, and the message says why (expired, revoked)."""

    status_code = 401
    code = "token_refused"


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: its row and its secret, which is never shown again."""

    token: ApiToken
    secret: str
    expires_at: datetime


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _admin_paths(actor: Actor) -> list[str]:
    if not actor.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user_id=actor.pk, role=Membership.Role.ADMIN).values_list(
            "unit__path", flat=True
        )
    )


def _owners_filter(actor: Actor, *, through: str) -> Q | None:
    """Whose tokens `actor` manages, as a filter on users reached through `through` ("user__" from a
    token, "" on the user model); None means everyone's.

    A unit's admin reaches a user only if every one of the user's units lies under the admin's and
    the user is no superuser: a token acts with all its owner's rights, so a member who is also the
    office or belongs to another unit would carry the admin beyond their own units."""
    if user_is_office_admin(actor):
        return None
    own = Q(**{f"{through}pk": actor.pk})
    paths = _admin_paths(actor)
    if not paths:
        return own
    inside = Q()
    for path in paths:
        inside |= Q(unit__path__startswith=path)
    memberships = Membership.objects.filter(user_id=OuterRef(f"{through}pk"))
    managed = (
        Q(**{f"{through}is_superuser": False})
        & Exists(memberships.filter(inside))
        & ~Exists(memberships.exclude(inside))
    )
    return own | managed


def apitokens_visible(*, user: Actor) -> QuerySet[ApiToken]:
    """The tokens `user` may see and manage (newest first), with their owners and owners' units."""
    tokens = ApiToken.objects.select_related("user").prefetch_related("user__memberships__unit")
    if not user.is_authenticated:
        return tokens.none()
    condition = _owners_filter(user, through="user__")
    if condition is not None:
        tokens = tokens.filter(pk__in=ApiToken.objects.filter(condition).values("pk"))
    return tokens.order_by("-created_at", "-pk")


def apitoken_get(*, user: Actor, token_id: int) -> ApiToken:
    token = apitokens_visible(user=user).filter(pk=token_id).first()
    if token is None:
        raise NotFoundError(field="token")
    return token


def _may_manage_user(actor: Actor, owner: User) -> bool:
    condition = _owners_filter(actor, through="")
    return condition is None or User.objects.filter(condition, pk=owner.pk).exists()


def _require_may_mint(actor: Actor | None, owner: User, *, field: str) -> None:
    """A new secret for `owner` goes to `actor`: their own, or anyone's for the office and the command."""
    if actor is None or actor.pk == owner.pk or user_is_office_admin(actor):
        return
    raise PermissionDeniedError(
        _("Chỉ Văn phòng CĐS được cấp hoặc đổi mã truy cập cho người khác"),
        field=field,
    )


def _lifetime(days: int | None) -> timedelta:
    maximum: int = settings.TIENDO_TOKEN_MAX_DAYS
    chosen = settings.TIENDO_TOKEN_DAYS if days is None else days
    if chosen < 1 or chosen > maximum:
        raise ApplicationError(
            _("Số ngày hiệu lực phải từ 1 đến %(maximum)s") % {"maximum": maximum}, field="days"
        )
    return timedelta(days=chosen)


def _clean_scopes(scopes: list[str]) -> list[str]:
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ApplicationError(
            _("Phạm vi không hợp lệ: %(scopes)s (read, write, ingest)") % {"scopes": sorted(unknown) or "[]"},
            field="scopes",
        )
    return sorted(set(scopes))


def _issue(*, user: User, name: str, scopes: list[str], lifetime: timedelta) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
    expires_at = timezone.now() + lifetime
    row = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:12],
        token_hash=token_hash(secret),
        scopes=scopes,
        expires_at=expires_at,
    )
    return IssuedToken(token=row, secret=secret, expires_at=expires_at)


def _actor_label(actor: Actor | None, command: str) -> str:
    return "" if actor is not None and actor.is_authenticated else f"tiendo {command}"


@transaction.atomic
def apitoken_create(
    *, actor: Actor | None, user: User, name: str, scopes: list[str], days: int | None = None
) -> IssuedToken:
    """Issue a token for `user`, valid `days` days (the default, at most the maximum). `actor` None:
    the operator at the command line."""
    if actor is not None and not _may_manage_user(actor, user):
        raise NotFoundError(field="user")
    _require_may_mint(actor, user, field="user")
    name = name.strip()
    if not name or len(name) > 100:
        raise ApplicationError(_("Tên mã truy cập phải có từ 1 đến 100 ký tự"), field="name")
    issued = _issue(user=user, name=name, scopes=_clean_scopes(scopes), lifetime=_lifetime(days))
    audit_record(
        actor=actor,
        actor_label=_actor_label(actor, "create-token"),
        action="apitoken.create",
        obj=issued.token,
        changes={
            "user": user.get_username(),
            "scopes": issued.token.scopes,
            "expires_at": issued.expires_at.isoformat(),
        },
    )
    return issued


def _lock_managed(actor: Actor | None, token: ApiToken) -> ApiToken:
    """The token, locked for the change, after checking `actor` may manage it."""
    locked = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if actor is not None and not _may_manage_user(actor, locked.user):
        raise NotFoundError(field="token")
    return locked


@transaction.atomic
def apitoken_revoke(*, actor: Actor | None, token: ApiToken, reason: str = "") -> ApiToken:
    """Revoke a token at once; revoking a revoked token is refused (nothing changes)."""
    locked = _lock_managed(actor, token)
    if locked.revoked:
        raise ApplicationError(_("Mã truy cập này đã bị thu hồi"), code="already_revoked", field="token")
    locked.revoked = True
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked", "revoked_at"])
    audit_record(
        actor=actor,
        actor_label=_actor_label(actor, "revoke-token"),
        action="apitoken.revoke",
        obj=locked,
        changes={"user": locked.user.get_username()},
        reason=reason,
    )
    return locked


@transaction.atomic
def apitoken_rotate(*, actor: Actor | None, token: ApiToken, days: int | None = None) -> IssuedToken:
    """A new secret with the same owner, name and scopes; the old one is revoked at once (see above)."""
    locked = _lock_managed(actor, token)
    _require_may_mint(actor, locked.user, field="token")
    if locked.revoked:
        raise ApplicationError(_("Mã truy cập này đã bị thu hồi"), code="already_revoked", field="token")
    issued = _issue(user=locked.user, name=locked.name, scopes=list(locked.scopes), lifetime=_lifetime(days))
    locked.revoked = True
    locked.revoked_at = timezone.now()
    locked.replaced_by = issued.token
    locked.save(update_fields=["revoked", "revoked_at", "replaced_by"])
    audit_record(
        actor=actor,
        actor_label=_actor_label(actor, "rotate-token"),
        action="apitoken.rotate",
        obj=locked,
        changes={"user": locked.user.get_username(), "replaced_by": issued.token.pk},
    )
    return issued


def apitoken_state(token: ApiToken) -> str:
    """ "active", "expired", "revoked" or "rotated" (revoked because a new secret replaced it)."""
    if token.revoked:
        return "rotated" if token.replaced_by_id is not None else "revoked"
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return "expired"
    return "active"


def _refusal(row: ApiToken) -> TokenRefusedError | None:
    if row.revoked:
        if row.replaced_by_id is not None:
            return TokenRefusedError(
                _("Mã truy cập đã được thay bằng mã mới (xoay vòng) và không còn dùng được"),
                code="token_revoked",
            )
        return TokenRefusedError(_("Mã truy cập đã bị thu hồi"), code="token_revoked")
    if row.expires_at is not None and row.expires_at <= timezone.now():
        when = formats.date_format(timezone.localtime(row.expires_at), "SHORT_DATETIME_FORMAT")
        return TokenRefusedError(
            _("Mã truy cập đã hết hạn lúc %(when)s") % {"when": when}, code="token_expired"
        )
    return None


def apitoken_authenticate(secret: str) -> ApiToken | None:
    """The token a secret names, its owner loaded; None if no such token or its owner is inactive.
    A revoked or expired token raises TokenRefusedError saying which. The time of use is kept, at
    most once a minute per token (one UPDATE, not a write per request)."""
    row = ApiToken.objects.select_related("user").filter(token_hash=token_hash(secret)).first()
    if row is None or not row.user.is_active:
        return None
    refusal = _refusal(row)
    if refusal is not None:
        raise refusal
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row
