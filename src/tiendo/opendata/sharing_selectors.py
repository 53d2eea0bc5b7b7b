"""Reads of sharing: what a system's key may read, the systems and requests a person may see, the
access log a publisher is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, Prefetch, Q, QuerySet, When
from django.utils import timezone

from tiendo.core.exceptions import NotFoundError
from tiendo.core.types import Actor
from tiendo.opendata.models import AccessLog, AccessRequest, Dataset, DatasetUsage, System, SystemKey
from tiendo.opendata.selectors import (
    dataset_can_manage,
    datasets_listed,
    datasets_managed,
    member_paths,
    under_paths,
)
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin


class SystemReader(AnonymousUser):
    """A system calling with its key, as the selectors see it: nobody's session, no unit's member;
    `datasets_listed` and `dataset_can_read_rows` ask its key (and the API area it calls)."""

    def __init__(self, key: SystemKey, *, area: str) -> None:
        super().__init__()
        self.system_key = key
        self.area = area

    def __str__(self) -> str:
        return str(self.system_key.system)


def key_granted_ids(key: SystemKey) -> set[int]:
    """Datasets the key's system was granted, narrowed to the key's own datasets when it names any."""
    granted = set(
        AccessRequest.objects.filter(system=key.system, status=AccessRequest.Status.GRANTED).values_list(
            "dataset_id", flat=True
        )
    )
    named = set(key.datasets.values_list("pk", flat=True))
    return granted & named if named else granted


def key_may_call(key: SystemKey, area: str) -> bool:
    return area in key.areas


def key_can_read_rows(key: SystemKey, dataset: Dataset, *, area: str) -> bool:
    """Open data for any key allowed the area; shared and restricted ones when granted."""
    if not key_may_call(key, area) or dataset.state != Dataset.State.PUBLISHED:
        return False
    if dataset.access == Dataset.Access.PUBLIC:
        return True
    return dataset.pk in key_granted_ids(key)


def datasets_listed_for_key(key: SystemKey) -> QuerySet[Dataset]:
    """What the catalogue shows a system: what anyone sees, and the restricted datasets granted."""
    public = Q(state=Dataset.State.PUBLISHED, access__in=[Dataset.Access.PUBLIC, Dataset.Access.SHARED])
    granted = Q(state=Dataset.State.PUBLISHED, pk__in=key_granted_ids(key))
    return Dataset.objects.filter(public | granted)


def systems_visible(*, user: Actor) -> QuerySet[System]:
    systems = System.objects.select_related("owner")
    if user_is_office_admin(user):
        return systems
    if not user.is_authenticated:
        return systems.none()
    paths = list(Membership.objects.filter(user=user).values_list("unit__path", flat=True))
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(owner__path__startswith=path)
    return systems.filter(condition)


def system_get(*, user: Actor, system_id: int) -> System:
    found = systems_visible(user=user).filter(pk=system_id).first()
    if found is None:
        raise NotFoundError()
    return found


def requests_to_decide(*, user: Actor) -> QuerySet[AccessRequest]:
    """Requests for the datasets the user manages, newest first."""
    managed = [d.pk for d in datasets_listed(user).select_related("publisher") if dataset_can_manage(user, d)]
    return AccessRequest.objects.filter(dataset_id__in=managed).select_related(
        "system", "system__owner", "dataset"
    )


def access_log_for(*, user: Actor, dataset: Dataset) -> QuerySet[AccessLog]:
    """The reads of a dataset's shared or restricted rows: for whoever manages the dataset."""
    if not dataset_can_manage(user, dataset):
        raise NotFoundError()
    return AccessLog.objects.filter(dataset=dataset).select_related("system", "key", "user")


# ------------------------------------------------------------------------ the sharing pages
# (views_sharing: systems, their keys and requests, the requests to decide, the usage report)


def units_administered(*, user: Actor) -> QuerySet[OrgUnit]:
    """The units that may own a system the user registers: any agency for the office; else the units
    where the user is an admin, and the units under them (as `system_can_manage` allows)."""
    if user_is_office_admin(user):
        return OrgUnit.objects.filter(kind=OrgUnit.Kind.AGENCY).order_by("name")
    paths = member_paths(user, (Membership.Role.ADMIN,))
    return OrgUnit.objects.filter(under_paths(paths, "path")).order_by("kind", "name")


def systems_overview(*, user: Actor) -> QuerySet[System]:
    """`systems_visible` with `live_keys` (keys that authenticate now: neither revoked nor expired)
    and `grants` (the granted requests, their datasets loaded), by name."""
    now = timezone.now()
    working = Q(keys__revoked_at__isnull=True, keys__expires_at__gt=now)
    grants = AccessRequest.objects.filter(status=AccessRequest.Status.GRANTED).select_related("dataset")
    return (
        systems_visible(user=user)
        .annotate(live_keys=Count("keys", filter=working, distinct=True))
        .prefetch_related(Prefetch("requests", queryset=grants.order_by("dataset__title"), to_attr="grants"))
        .order_by("name", "pk")
    )


def _require_visible(user: Actor, system: System) -> None:
    if not systems_visible(user=user).filter(pk=system.pk).exists():
        raise NotFoundError()


KEY_STATES = ("live", "expiring", "expired", "revoked")


def systemkey_state(key: SystemKey, *, now: datetime | None = None) -> str:
    """live; expiring (rotated, still working in its overlap); expired; revoked."""
    now = now or timezone.now()
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at <= now:
        return "expired"
    if key.replaced_by_id is not None:
        return "expiring"
    return "live"


@dataclass(frozen=True)
class KeyRow:
    key: SystemKey
    state: str
    datasets: list[Dataset]


def system_keys(*, user: Actor, system: System) -> list[KeyRow]:
    """The system's keys, each with its state and the datasets it is narrowed to: those that work
    (live, then expiring) first, then the expired and revoked ones; newest first within each."""
    _require_visible(user, system)
    now = timezone.now()
    keys = SystemKey.objects.filter(system=system).prefetch_related("datasets").order_by("-created_at", "-pk")
    rows = [
        KeyRow(key=key, state=systemkey_state(key, now=now), datasets=sorted(key.datasets.all(), key=str))
        for key in keys
    ]
    return sorted(rows, key=lambda row: min(KEY_STATES.index(row.state), 2))


def system_key_get(*, user: Actor, system: System, key_id: int) -> SystemKey:
    _require_visible(user, system)
    found = SystemKey.objects.filter(system=system, pk=key_id).select_related("system__owner").first()
    if found is None:
        raise NotFoundError()
    return found


def system_requests(*, user: Actor, system: System) -> QuerySet[AccessRequest]:
    """The system's access requests, newest first, with their datasets and who decided."""
    _require_visible(user, system)
    return (
        AccessRequest.objects.filter(system=system)
        .select_related("dataset", "dataset__publisher", "asked_by", "decided_by")
        .order_by("-asked_at", "-pk")
    )


def system_granted_datasets(*, user: Actor, system: System) -> QuerySet[Dataset]:
    """The datasets the system was granted (what a new key may be narrowed to), by title."""
    _require_visible(user, system)
    granted = AccessRequest.objects.filter(system=system, status=AccessRequest.Status.GRANTED)
    return Dataset.objects.filter(pk__in=granted.values("dataset_id")).order_by("title", "name")


def datasets_requestable(*, user: Actor, system: System) -> QuerySet[Dataset]:
    """The published shared and restricted datasets the user may list and the system has no pending
    or granted request for: what the system's owner may ask access to."""
    _require_visible(user, system)
    open_requests = AccessRequest.objects.filter(
        system=system, status__in=[AccessRequest.Status.PENDING, AccessRequest.Status.GRANTED]
    )
    return (
        datasets_listed(user)
        .filter(state=Dataset.State.PUBLISHED, access__in=[Dataset.Access.SHARED, Dataset.Access.RESTRICTED])
        .exclude(pk__in=open_requests.values("dataset_id"))
        .select_related("publisher")
        .order_by("title", "name")
    )


def requests_inbox(*, user: Actor, status: str = "", dataset_name: str = "") -> QuerySet[AccessRequest]:
    """`requests_to_decide`, pending first then newest first; narrowed to one status (a value of
    AccessRequest.Status) and one dataset (by name) when given."""
    found = requests_to_decide(user=user).select_related("dataset__publisher", "asked_by", "decided_by")
    if status in AccessRequest.Status.values:
        found = found.filter(status=status)
    if dataset_name:
        found = found.filter(dataset__name=dataset_name)
    pending_first = Case(When(status=AccessRequest.Status.PENDING, then=0), default=1)
    return found.annotate(_pending_first=pending_first).order_by("_pending_first", "-asked_at", "-pk")


def request_to_decide_get(*, user: Actor, request_id: int) -> AccessRequest:
    found = requests_to_decide(user=user).filter(pk=request_id).first()
    if found is None:
        raise NotFoundError()
    return found


def dataset_requests(*, user: Actor, dataset: Dataset) -> QuerySet[AccessRequest]:
    """The access requests for a dataset the user manages, pending first then newest first."""
    if not dataset_can_manage(user, dataset):
        raise NotFoundError()
    pending_first = Case(When(status=AccessRequest.Status.PENDING, then=0), default=1)
    return (
        AccessRequest.objects.filter(dataset=dataset)
        .select_related("system", "system__owner")
        .annotate(_pending_first=pending_first)
        .order_by("_pending_first", "-asked_at", "-pk")
    )


# ------------------------------------------------------------------------ the office's usage report

USAGE_SORTS = {
    "-month": lambda row: (-row.month.toordinal(), row.dataset.title, row.dataset.name),
    "month": lambda row: (row.month, row.dataset.title, row.dataset.name),
    "dataset": lambda row: (row.dataset.title, row.dataset.name, -row.month.toordinal()),
    "-downloads": lambda row: (-row.downloads, -row.month.toordinal(), row.dataset.title),
    "-api": lambda row: (-row.api, -row.month.toordinal(), row.dataset.title),
}


@dataclass(frozen=True)
class UsageRow:
    dataset: Dataset
    month: date
    downloads: int
    api: int


def usage_report(*, user: Actor, start: date, end: date, q: str = "", sort: str = "-month") -> list[UsageRow]:
    """Downloads and API calls per dataset and month, for the datasets the user manages, from the
    month of `start` to that of `end` (both included); months with neither are left out. `q` narrows
    the datasets (without diacritics); `sort` is a key of USAGE_SORTS (unknown: newest month first)."""
    datasets = {d.pk: d for d in datasets_managed(user=user, q=q)}
    counts: dict[tuple[int, date], dict[str, int]] = {}
    usage = DatasetUsage.objects.filter(
        dataset_id__in=list(datasets),
        month__gte=start.replace(day=1),
        month__lte=end.replace(day=1),
        kind__in=[DatasetUsage.Kind.DOWNLOAD, DatasetUsage.Kind.API],
    ).values_list("dataset_id", "month", "kind", "count")
    for dataset_id, month, kind, count in usage:
        counts.setdefault((dataset_id, month), {})[kind] = count
    rows = [
        UsageRow(
            dataset=datasets[dataset_id],
            month=month,
            downloads=kinds.get(DatasetUsage.Kind.DOWNLOAD, 0),
            api=kinds.get(DatasetUsage.Kind.API, 0),
        )
        for (dataset_id, month), kinds in counts.items()
        if kinds.get(DatasetUsage.Kind.DOWNLOAD, 0) or kinds.get(DatasetUsage.Kind.API, 0)
    ]
    return sorted(rows, key=USAGE_SORTS.get(sort, USAGE_SORTS["-month"]))
