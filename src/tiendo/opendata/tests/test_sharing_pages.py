"""The sharing pages: systems registered and seen only by whom they concern, keys whose secret is
shown once, rotated with an overlap and revoked at once, access asked for, granted or refused with a
reason (and then read through the CKAN API), the reads logged on the publisher's page, and the usage
report whose CSV holds the numbers the page shows."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tiendo.core.models import AuditLog
from tiendo.opendata.models import AccessRequest, DatasetUsage, System, SystemKey
from tiendo.opendata.services import usage_record
from tiendo.opendata.sharing import (
    access_request_create,
    access_request_decide,
    key_hash,
    systemkey_issue,
)
from tiendo.opendata.tests.conftest import published_health_dataset
from tiendo.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db

SYSTEMS = "/opendata/systems/"
REQUESTS = "/opendata/requests/"
USAGE = "/opendata/usage/"
USAGE_CSV = "/opendata/usage.csv"
SEARCH = "/opendata/api/3/action/datastore_search"
REGISTER = {
    "name": "Hệ thống điều hành thông minh (IOC)",
    "owner": "SKHCN",
    "purpose": "Hiển thị số trạm y tế theo xã trên bảng điều hành của tỉnh",
    "legal_basis": "Nghị định 47/2020/NĐ-CP",
    "contact_email": "ioc@skhcn.example.gov.vn",
}


def system_url(system: System) -> str:
    return f"{SYSTEMS}{system.pk}/"


def manage_url(name: str) -> str:
    return f"/opendata/manage/{name}/"


@pytest.fixture
def shared(syt_admin):
    return published_health_dataset(syt_admin, access="shared")


def grant(system, dataset, asker, owner) -> AccessRequest:
    request = access_request_create(actor=asker, system=system, dataset=dataset, purpose="Điều hành")
    return access_request_decide(actor=owner, request=request, grant=True, reason="Đúng mục đích")


# ------------------------------------------------------------------------------------------ access


def test_anonymous_readers_are_sent_to_sign_in(client, system):
    for url in (SYSTEMS, system_url(system), REQUESTS, USAGE, USAGE_CSV):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url


def test_another_agencys_admin_gets_not_found_on_a_system_not_theirs_and_changes_nothing(
    client, syt_admin, system
):
    client.force_login(syt_admin)

    seen = client.get(system_url(system))
    issued = client.post(system_url(system), {"action": "issue", "name": "x", "areas": ["catalogue"]})
    listed = client.get(SYSTEMS)

    assert (seen.status_code, issued.status_code) == (404, 404)
    assert not SystemKey.objects.filter(system=system).exists()
    assert listed.status_code == 200 and system.name not in listed.content.decode()  # SYT's own list


def test_who_sees_no_system_and_manages_no_unit_gets_not_found_everywhere(client, tinhkhe_viewer, system):
    client.force_login(tinhkhe_viewer)

    answers = [
        client.get(url).status_code for url in (SYSTEMS, system_url(system), REQUESTS, USAGE, USAGE_CSV)
    ]

    assert answers == [404] * 5
    assert client.post(SYSTEMS, REGISTER | {"owner": "21211"}).status_code == 404


def test_a_member_of_the_owner_who_is_no_admin_sees_the_system_but_may_not_change_it(
    client, skhcn_reviewer, system
):
    client.force_login(skhcn_reviewer)

    listed = client.get(SYSTEMS)
    page = client.get(system_url(system))
    refused = client.post(system_url(system), {"action": "issue", "name": "x", "areas": ["catalogue"]})

    assert listed.status_code == 200 and system.name in listed.content.decode()
    assert 'id="register"' not in listed.content.decode()
    assert page.status_code == 200 and 'id="issue-form"' not in page.content.decode()
    assert refused.status_code == 404 and not SystemKey.objects.exists()


# ------------------------------------------------------------------------------------------ register


def test_registering_without_a_legal_basis_keeps_every_typed_value_and_names_the_field(client, skhcn_admin):
    client.force_login(skhcn_admin)

    response = client.post(SYSTEMS, REGISTER | {"legal_basis": "  "})

    assert response.status_code == 422
    assert set(response.context["errors"]) == {"legal_basis"}
    assert "Căn cứ pháp lý" in response.context["errors"]["legal_basis"]
    assert response.context["form"] == REGISTER | {"legal_basis": "  "}
    html = response.content.decode()
    assert f'value="{REGISTER["name"]}"' in html and REGISTER["purpose"] in html
    assert 'id="f-legal_basis" name="legal_basis"' in html and "is-invalid" in html
    assert not System.objects.exists()


def test_a_registered_system_is_audited_redirects_to_its_page_and_is_listed_with_its_grants(
    client, skhcn_admin, syt_admin, shared
):
    client.force_login(skhcn_admin)

    response = client.post(SYSTEMS, REGISTER, follow=True)

    system = System.objects.get(name=REGISTER["name"])
    assert response.redirect_chain == [(system_url(system), 302)]
    assert "Đã đăng ký hệ thống" in response.content.decode()
    assert (system.owner.code, system.created_by) == ("SKHCN", skhcn_admin)
    assert AuditLog.objects.filter(action="opendata.system.register", object_id=str(system.pk)).exists()
    grant(system, shared, skhcn_admin, syt_admin)
    systemkey_issue(actor=skhcn_admin, system=system, name="k", areas=["catalogue"])
    [row] = client.get(SYSTEMS).context["page"]
    assert (row.live_keys, [g.dataset for g in row.grants]) == (1, [shared])


def test_the_owner_is_one_of_the_units_the_user_administers_and_the_office_chooses_any_agency(
    client, skhcn_admin, office_admin
):
    client.force_login(skhcn_admin)
    refused = client.post(SYSTEMS, REGISTER | {"owner": "SYT", "contact_email": "không-phải-thư"})
    assert refused.status_code == 422 and set(refused.context["errors"]) == {"owner", "contact_email"}
    assert [u.code for u in refused.context["owners"]] == ["SKHCN"]

    client.force_login(office_admin)
    owners = {u.code for u in client.get(SYSTEMS).context["owners"]}
    assert {"SKHCN", "SYT"} <= owners and "21211" not in owners
    assert client.post(SYSTEMS, REGISTER | {"owner": "SYT"}).status_code == 302


# ------------------------------------------------------------------------------------------ keys


def test_a_new_keys_secret_is_shown_once_on_an_uncached_page_and_never_again(client, skhcn_admin, system):
    client.force_login(skhcn_admin)

    response = client.post(
        system_url(system),
        {
            "action": "issue",
            "name": "máy chủ IOC",
            "areas": ["catalogue", "datastore"],
            "days": "30",
            "rate_per_minute": "60",
        },
    )

    assert response.status_code == 200
    secret = response.context["issued"].secret
    html = response.content.decode()
    assert secret.startswith("tdsk_") and f"Authorization: {secret}" in html
    assert "no-store" in response["Cache-Control"]
    key = SystemKey.objects.get(system=system)
    assert (key.key_hash, key.rate_per_minute, key.areas) == (
        key_hash(secret),
        60,
        ["catalogue", "datastore"],
    )
    after = client.get(system_url(system))
    assert secret not in after.content.decode() and key.prefix in after.content.decode()
    assert client.get("/opendata/api/3/action/package_list", HTTP_AUTHORIZATION=secret).status_code == 200


def test_a_key_with_bad_numbers_or_no_area_is_refused_next_to_the_field_keeping_what_was_typed(
    client, skhcn_admin, system
):
    client.force_login(skhcn_admin)
    typed = {
        "action": "issue",
        "name": "máy chủ IOC",
        "areas": ["download"],
        "days": "chín mươi",
        "rate_per_minute": "60",
    }

    bad_days = client.post(system_url(system), typed)
    no_area = client.post(system_url(system), typed | {"days": "90", "areas": []})

    assert bad_days.status_code == 422 and set(bad_days.context["issue_errors"]) == {"days"}
    assert (
        bad_days.context["issue"]["areas"] == ["download"]
        and bad_days.context["issue"]["days"] == "chín mươi"
    )
    assert no_area.status_code == 422 and set(no_area.context["issue_errors"]) == {"areas"}
    assert 'value="máy chủ IOC"' in no_area.content.decode()
    assert not SystemKey.objects.exists()


def test_a_key_is_narrowed_only_to_datasets_the_system_was_granted(
    client, skhcn_admin, syt_admin, system, shared
):
    grant(system, shared, skhcn_admin, syt_admin)
    client.force_login(skhcn_admin)
    typed = {
        "action": "issue",
        "name": "hẹp",
        "areas": ["catalogue", "datastore"],
        "days": "90",
        "rate_per_minute": "60",
    }

    refused = client.post(system_url(system), typed | {"datasets": [shared.name, "khong-duoc-cap"]})
    issued = client.post(system_url(system), typed | {"datasets": [shared.name]})

    assert refused.status_code == 422 and set(refused.context["issue_errors"]) == {"datasets"}
    assert refused.context["issue"]["datasets"] == [shared.name, "khong-duoc-cap"]
    assert list(issued.context["issued"].key.datasets.all()) == [shared]
    [row] = [row for row, *_ in issued.context["keys"]]
    assert row.datasets == [shared] and row.state == "live"


def test_rotating_shows_a_new_secret_and_the_old_key_still_works_during_the_overlap(
    client, skhcn_admin, system
):
    old = systemkey_issue(actor=skhcn_admin, system=system, name="chính", areas=["catalogue"])
    client.force_login(skhcn_admin)

    response = client.post(system_url(system), {"action": "rotate", "key": old.key.pk, "overlap_days": "7"})

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    new_secret = response.context["issued"].secret
    assert new_secret != old.secret and f"Authorization: {new_secret}" in response.content.decode()
    assert old.secret not in response.content.decode()
    for secret in (old.secret, new_secret):
        answer = client.get("/opendata/api/3/action/package_list", HTTP_AUTHORIZATION=secret)
        assert answer.status_code == 200, secret[:12]
    states = {row.key.pk: row.state for row, *_ in client.get(system_url(system)).context["keys"]}
    assert states == {old.key.pk: "expiring", response.context["issued"].key.pk: "live"}
    assert new_secret not in client.get(system_url(system)).content.decode()


def test_revoking_a_key_redirects_with_a_message_and_refuses_it_at_the_next_call(client, skhcn_admin, system):
    issued = systemkey_issue(actor=skhcn_admin, system=system, name="chính", areas=["catalogue"])
    client.force_login(skhcn_admin)

    response = client.post(system_url(system), {"action": "revoke", "key": issued.key.pk}, follow=True)

    assert response.redirect_chain == [(system_url(system), 302)]
    assert "Đã thu hồi khóa" in response.content.decode()
    assert [row.state for row, *_ in response.context["keys"]] == ["revoked"]
    assert (
        client.get("/opendata/api/3/action/package_list", HTTP_AUTHORIZATION=issued.secret).status_code == 403
    )
    assert AuditLog.objects.filter(action="opendata.key.revoke").count() == 1


# ------------------------------------------------------------------------------------- ask and decide


def test_ask_then_grant_with_a_reason_and_the_key_reads_the_dataset_through_the_api(
    client, skhcn_admin, syt_admin, system, shared
):
    client.force_login(skhcn_admin)
    assert [d.name for d in client.get(system_url(system)).context["requestable"]] == [shared.name]
    asked = client.post(
        system_url(system), {"action": "ask", "dataset": shared.name, "purpose": "Bảng điều hành y tế"}
    )
    assert asked.status_code == 302
    issue = {"action": "issue", "name": "ioc", "areas": ["catalogue", "datastore"], "days": "90"}
    secret = client.post(system_url(system), issue | {"rate_per_minute": "120"}).context["issued"].secret
    refused_before = client.get(SEARCH, {"resource_id": shared.name}, HTTP_AUTHORIZATION=secret)

    client.force_login(syt_admin)
    inbox = client.get(REQUESTS)
    [pending] = [r for r, _form, _error in inbox.context["rows"]]
    assert (pending.system, pending.status) == (system, "pending")
    granted = client.post(
        REQUESTS,
        {"request": pending.pk, "action": "grant", "reason": "Có căn cứ pháp lý, đúng mục đích"},
        follow=True,
    )

    assert refused_before.status_code == 403
    assert "Đã cấp quyền" in granted.content.decode()
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by, pending.decision_reason) == (
        "granted",
        syt_admin,
        "Có căn cứ pháp lý, đúng mục đích",
    )
    read = client.get(SEARCH, {"resource_id": shared.name}, HTTP_AUTHORIZATION=secret)
    assert read.status_code == 200, read.json()
    assert read.json()["result"]["total"] == 2


def test_refusing_without_a_reason_is_refused_next_to_the_field_and_the_request_stays_pending(
    client, skhcn_admin, syt_admin, system, shared
):
    request = access_request_create(actor=skhcn_admin, system=system, dataset=shared, purpose="x")
    client.force_login(syt_admin)

    response = client.post(REQUESTS, {"request": request.pk, "action": "refuse", "reason": "   "})

    assert response.status_code == 422
    [(shown, form, error)] = response.context["rows"]
    assert shown == request and "Lý do" in error["reason"] and form["reason"] == "   "
    assert f'class="invalid-feedback" id="reason-{request.pk}-error"' in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending"


def test_refusing_and_revoking_with_reasons_are_audited_and_end_the_access(
    client, skhcn_admin, syt_admin, system, shared
):
    granted = grant(system, shared, skhcn_admin, syt_admin)
    other = published_health_dataset(
        syt_admin,
        access="restricted",
        title="Hồ sơ bệnh án",
        name="ho-so-benh-an",
        allowed_units=(OrgUnit.objects.get(code="SKHCN"),),
    )
    asked = access_request_create(actor=skhcn_admin, system=system, dataset=other, purpose="x")
    client.force_login(syt_admin)

    client.post(REQUESTS, {"request": asked.pk, "action": "refuse", "reason": "Dữ liệu cá nhân"})
    revoked = client.post(REQUESTS, {"request": granted.pk, "action": "revoke", "reason": "Hết thỏa thuận"})

    assert revoked.status_code == 302
    statuses = dict(AccessRequest.objects.values_list("pk", "status"))
    assert statuses == {granted.pk: "revoked", asked.pk: "refused"}
    assert set(
        AuditLog.objects.filter(
            action__in=["opendata.access.refused", "opendata.access.revoked"]
        ).values_list("reason", flat=True)
    ) == {"Dữ liệu cá nhân", "Hết thỏa thuận"}


def test_a_request_on_a_dataset_the_user_does_not_manage_is_not_found(
    client, skhcn_admin, syt_admin, system, shared
):
    request = access_request_create(actor=skhcn_admin, system=system, dataset=shared, purpose="x")
    client.force_login(skhcn_admin)  # manages SKHCN's datasets, not SYT's

    response = client.post(REQUESTS, {"request": request.pk, "action": "grant", "reason": "tự cấp"})

    assert response.status_code == 404
    assert list(client.get(REQUESTS).context["rows"]) == []
    request.refresh_from_db()
    assert request.status == "pending"


def test_the_inbox_shows_pending_requests_first(client, skhcn_admin, syt_admin, system, shared):
    second = published_health_dataset(syt_admin, access="shared", title="Cơ sở y tế", name="co-so-y-te")
    decided = grant(system, shared, skhcn_admin, syt_admin)
    waiting = access_request_create(actor=skhcn_admin, system=system, dataset=second, purpose="x")
    client.force_login(syt_admin)

    rows = [r for r, *_ in client.get(REQUESTS).context["rows"]]
    only_granted = [r for r, *_ in client.get(REQUESTS, {"status": "granted"}).context["rows"]]

    assert rows[0] == waiting and decided in rows
    assert only_granted == [decided]


# ---------------------------------------------------------------------------- the publisher's view


def test_the_access_log_section_lists_reads_made_through_the_api(
    client, skhcn_admin, syt_admin, system, shared
):
    grant(system, shared, skhcn_admin, syt_admin)
    issued = systemkey_issue(actor=skhcn_admin, system=system, name="ioc", areas=["catalogue", "datastore"])
    for filters in ({"ma_xa": 21211}, {"ma_xa": 21172}):
        answer = client.get(
            SEARCH,
            {"resource_id": shared.name, "filters": json.dumps(filters)},
            HTTP_AUTHORIZATION=issued.secret,
        )
        assert answer.status_code == 200
    client.force_login(syt_admin)

    response = client.get(manage_url(shared.name))

    log = list(response.context["access_log"])
    assert len(log) == 2 and response.context["access_log"].paginator.count == 2
    assert {(e.system, e.key, e.rows) for e in log} == {(system, issued.key, 1)}
    html = response.content.decode()
    section = html[html.index('id="access-log"') :]
    assert system.name in section and issued.key.prefix in section and "21172" in section
    assert [r.status for r in response.context["access_requests"]] == ["granted"]


def test_the_dataset_page_shows_its_use_by_month_and_links_a_pending_request(
    client, skhcn_admin, syt_admin, system, shared
):
    for kind in ("page", "download", "download", "api"):
        usage_record(dataset=shared, kind=kind)
    request = access_request_create(actor=skhcn_admin, system=system, dataset=shared, purpose="x")
    public = published_health_dataset(syt_admin, title="Mở", name="mo")
    client.force_login(syt_admin)

    response = client.get(manage_url(shared.name))
    open_page = client.get(manage_url(public.name)).content.decode()

    [month] = response.context["usage"]
    assert (month["page"], month["download"], month["api"]) == (1, 2, 1)
    assert f"{REQUESTS}?dataset={shared.name}#request-{request.pk}" in response.content.decode()
    assert 'id="dataset-usage"' in open_page and 'id="access-log"' not in open_page


def test_the_usage_report_csv_has_the_same_numbers_as_the_page(
    client, office_admin, syt_admin, skhcn_reporter
):
    health = published_health_dataset(syt_admin, access="shared")
    science = published_health_dataset(
        skhcn_reporter,
        title="Doanh nghiệp khoa học",
        name="doanh-nghiep-khcn",
        publisher=OrgUnit.objects.get(code="SKHCN"),
    )
    for kind in ("download", "download", "api", "page"):
        usage_record(dataset=health, kind=kind)
    usage_record(dataset=science, kind="api")
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    DatasetUsage.objects.create(dataset=health, month=last_month, kind="download", count=7)
    DatasetUsage.objects.create(dataset=health, month=last_month, kind="page", count=50)  # not a download
    client.force_login(office_admin)

    page = client.get(USAGE, {"sort": "-downloads"})
    exported = client.get(USAGE_CSV, {"sort": "-downloads"})

    shown = [(r.dataset.name, f"{r.month:%Y-%m}", r.downloads, r.api) for r in page.context["rows"]]
    assert shown == [
        (health.name, f"{last_month:%Y-%m}", 7, 0),
        (health.name, f"{today:%Y-%m}", 2, 1),
        (science.name, f"{today:%Y-%m}", 0, 1),
    ]
    assert exported["Content-Type"].startswith("text/csv")
    header, *lines = csv.reader(io.StringIO(exported.content.decode("utf-8-sig")))
    assert [(line[0], line[3], int(line[4]), int(line[5])) for line in lines] == shown
    assert f'href="{USAGE_CSV}?' in page.content.decode()
    assert "sort=-api" in page.context["sort_links"]["api"] and "from=" in page.context["sort_links"]["api"]

    client.force_login(syt_admin)  # its own datasets only
    assert {r.dataset.name for r in client.get(USAGE).context["rows"]} == {health.name}


def test_a_bad_month_in_the_usage_report_is_named_and_the_csv_refused(client, syt_admin):
    client.force_login(syt_admin)

    response = client.get(USAGE, {"from": "2026-13", "to": "2026-05"})

    assert response.status_code == 422 and set(response.context["errors"]) == {"from"}
    assert 'value="2026-13"' in response.content.decode()
    assert client.get(USAGE_CSV, {"from": "2026-13"}).status_code == 400


def test_the_pages_hold_no_inline_script_or_style_even_with_errors(
    client, skhcn_admin, syt_admin, system, shared
):
    from tiendo.tests.test_content_security_policy import inline_code

    request = access_request_create(actor=skhcn_admin, system=system, dataset=shared, purpose="x")
    client.force_login(skhcn_admin)
    pages = [
        client.get(SYSTEMS),
        client.post(SYSTEMS, REGISTER | {"legal_basis": ""}),
        client.post(
            system_url(system),
            {"action": "issue", "name": "k", "areas": ["catalogue"], "days": "9", "rate_per_minute": "9"},
        ),
        client.post(
            system_url(system),
            {"action": "issue", "name": "", "areas": [], "days": "x", "rate_per_minute": "9"},
        ),
    ]
    client.force_login(syt_admin)
    pages += [
        client.get(REQUESTS),
        client.post(REQUESTS, {"request": request.pk, "action": "grant", "reason": ""}),
        client.get(USAGE),
        client.get(manage_url(shared.name)),
    ]
    for response in pages:
        assert response.status_code in (200, 422)
        assert "style-src 'self'" in response["Content-Security-Policy"]
        assert inline_code(response.content.decode()) == []
