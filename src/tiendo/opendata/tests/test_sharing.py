"""Sharing between agencies: systems, keys with scopes and expiry, rotation with an overlap,
revocation at once, limits per minute, access asked and decided with a reason, reads logged."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tiendo.core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tiendo.core.models import AuditLog
from tiendo.opendata.models import AccessLog, SystemKey
from tiendo.opendata.sharing import (
    KeyRefusedError,
    access_log_record,
    access_request_create,
    access_request_decide,
    access_revoke,
    rate_limit_take,
    systemkey_authenticate,
    systemkey_issue,
    systemkey_revoke,
    systemkey_rotate,
)
from tiendo.opendata.sharing_selectors import access_log_for, datasets_listed_for_key, key_can_read_rows
from tiendo.opendata.tests.conftest import published_health_dataset
from tiendo.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_a_shared_dataset_is_read_by_a_key_only_after_its_publisher_grants_it(syt_admin, skhcn_admin, system):
    shared = published_health_dataset(syt_admin, access="shared")
    issued = systemkey_issue(actor=skhcn_admin, system=system, name="ioc", areas=["datastore", "catalogue"])
    key = systemkey_authenticate(issued.secret)
    assert not key_can_read_rows(key, shared, area="datastore")

    request = access_request_create(
        actor=skhcn_admin, system=system, dataset=shared, purpose="Bảng điều hành y tế"
    )
    with pytest.raises(ApplicationError, match="Lý do"):
        access_request_decide(actor=syt_admin, request=request, grant=True, reason=" ")
    with pytest.raises(PermissionDeniedError):
        access_request_decide(actor=skhcn_admin, request=request, grant=True, reason="tự cấp")
    access_request_decide(actor=syt_admin, request=request, grant=True, reason="Đúng mục đích, có căn cứ")

    assert key_can_read_rows(key, shared, area="datastore")
    assert not key_can_read_rows(key, shared, area="download")  # not in the key's areas
    assert AuditLog.objects.filter(
        action="opendata.access.granted", reason="Đúng mục đích, có căn cứ"
    ).exists()


def test_revoking_the_grant_ends_the_access_at_once(syt_admin, skhcn_admin, system):
    restricted = published_health_dataset(
        syt_admin, access="restricted", allowed_units=(OrgUnit.objects.get(code="SKHCN"),)
    )
    key = systemkey_issue(actor=skhcn_admin, system=system, name="k", areas=["datastore"]).key
    request = access_request_create(actor=skhcn_admin, system=system, dataset=restricted, purpose="x")
    access_request_decide(actor=syt_admin, request=request, grant=True, reason="ok")
    assert restricted in datasets_listed_for_key(key)

    access_revoke(actor=syt_admin, request=request, reason="Hết thời hạn thỏa thuận")

    assert not key_can_read_rows(key, restricted, area="datastore")
    assert restricted not in datasets_listed_for_key(key)


def test_a_key_limited_to_some_datasets_reads_only_those_of_its_grants(syt_admin, skhcn_admin, system):
    first = published_health_dataset(syt_admin, access="shared")
    second = published_health_dataset(syt_admin, access="shared", title="Cơ sở y tế", name="co-so-y-te")
    for dataset in (first, second):
        request = access_request_create(actor=skhcn_admin, system=system, dataset=dataset, purpose="x")
        access_request_decide(actor=syt_admin, request=request, grant=True, reason="ok")

    narrow = systemkey_issue(
        actor=skhcn_admin, system=system, name="n", areas=["datastore"], datasets=[second]
    ).key

    assert (
        key_can_read_rows(narrow, first, area="datastore"),
        key_can_read_rows(narrow, second, area="datastore"),
    ) == (
        False,
        True,
    )


def test_a_revoked_or_expired_key_is_refused_at_once_saying_why(skhcn_admin, system):
    revoked = systemkey_issue(actor=skhcn_admin, system=system, name="r", areas=["catalogue"])
    expired = systemkey_issue(actor=skhcn_admin, system=system, name="e", areas=["catalogue"])
    SystemKey.objects.filter(pk=expired.key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    systemkey_revoke(actor=skhcn_admin, key=revoked.key)

    with pytest.raises(KeyRefusedError, match="thu hồi"):
        systemkey_authenticate(revoked.secret)
    with pytest.raises(KeyRefusedError, match="hết hạn"):
        systemkey_authenticate(expired.secret)
    assert systemkey_authenticate("tdsk_not-a-key") is None


def test_rotation_keeps_the_old_key_working_for_the_overlap_then_not(skhcn_admin, system):
    old = systemkey_issue(actor=skhcn_admin, system=system, name="main", areas=["datastore"], days=90)

    new = systemkey_rotate(actor=skhcn_admin, key=old.key, overlap_days=7)

    assert systemkey_authenticate(old.secret) is not None  # both work during the overlap
    assert systemkey_authenticate(new.secret).areas == ["datastore"]
    old.key.refresh_from_db()
    assert old.key.expires_at <= timezone.now() + timedelta(days=7, seconds=5)
    assert new.key.expires_at >= timezone.now() + timedelta(days=89)
    with pytest.raises(ApplicationError, match="đã được đổi"):
        systemkey_rotate(actor=skhcn_admin, key=old.key)
    SystemKey.objects.filter(pk=old.key.pk).update(expires_at=timezone.now())
    with pytest.raises(KeyRefusedError):
        systemkey_authenticate(old.secret)


def test_the_minutes_allowance_is_counted_and_then_refused_with_a_wait(skhcn_admin, system):
    key = systemkey_issue(
        actor=skhcn_admin, system=system, name="slow", areas=["catalogue"], rate_per_minute=3
    ).key

    answers = [rate_limit_take(key) for _ in range(4)]

    assert answers[:3] == [None, None, None]
    assert 1 <= answers[3] <= 60


def test_only_the_owners_admin_or_the_office_manages_a_system(syt_admin, system):
    with pytest.raises(PermissionDeniedError):
        systemkey_issue(actor=syt_admin, system=system, name="x", areas=["catalogue"])
    with pytest.raises(ApplicationError, match="Phạm vi API"):
        systemkey_issue(actor=system.created_by, system=system, name="x", areas=["everything"])


def test_reads_of_shared_rows_are_logged_and_shown_to_the_publisher_only(syt_admin, skhcn_admin, system):
    shared = published_health_dataset(syt_admin, access="shared")
    public = published_health_dataset(syt_admin, title="Mở", name="mo")
    key = systemkey_issue(actor=skhcn_admin, system=system, name="k", areas=["datastore"]).key

    access_log_record(
        dataset=shared, action="datastore_search", rows=2, query={"filters": {"ma_xa": 21211}}, key=key
    )
    access_log_record(dataset=public, action="datastore_search", rows=2, key=key)

    [entry] = access_log_for(user=syt_admin, dataset=shared)
    assert (entry.system, entry.rows, entry.query) == (system, 2, {"filters": {"ma_xa": 21211}})
    assert AccessLog.objects.filter(dataset=public).count() == 0
    with pytest.raises(NotFoundError):
        access_log_for(user=skhcn_admin, dataset=shared)
