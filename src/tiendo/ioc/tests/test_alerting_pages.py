"""The alert pages: history with filters and exports, one alert and its forms, the office's rules."""

import csv
from datetime import UTC, datetime, timedelta
from io import BytesIO, StringIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from tiendo.conftest import SecondFactorClient, make_user
from tiendo.core.models import AuditLog
from tiendo.ioc.models import Alert, AlertRule, Device, Severity
from tiendo.ioc.services import alert_raise
from tiendo.orgunits.models import Membership

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def alerts(ioc_registry):
    """Three alerts: PM2.5 in Vạn Tường (major), water in Cẩm Thành (critical, two days later), and
    a camera in Vạn Tường whose message looks like a spreadsheet formula (warning, cleared)."""
    pm = AlertRule.objects.create(code="pm25-high", name="PM2.5 cao", severity=Severity.MAJOR, metric="pm25")
    water = AlertRule.objects.create(
        code="flood", name="Lũ Trà Khúc", severity=Severity.CRITICAL, metric="water_level"
    )
    cam = AlertRule.objects.create(code="cam", name="Camera", severity=Severity.WARNING, metric="events")

    def make(rule, code, at, message, value):
        return alert_raise(
            rule=rule, device=Device.objects.get(code=code), value=value, at=at, message=message
        )[0]

    made = {
        "pm": make(pm, "aq-dungquat-01", T0, "PM2.5 = 80", 80.0),
        "water": make(water, "wl-trakhuc-01", T0 + timedelta(days=2), "Mực nước 4,2 m", 4.2),
        "cam": make(cam, "cam-vantuong-01", T0 + timedelta(days=1), '=HYPERLINK("http://x")', 9.0),
    }
    Alert.objects.filter(pk=made["cam"].pk).update(
        status=Alert.Status.CLEARED, cleared_at=T0 + timedelta(days=1)
    )
    return made


def logged_in(user, *, csrf=False):
    """Signed in, with the second factor the office's admins need already verified."""
    client = SecondFactorClient(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def ids_in(html: str, alerts: dict) -> set[str]:
    return {name for name, alert in alerts.items() if f'href="/ioc/alerts/{alert.pk}/"' in html}


def test_a_commune_operator_sees_only_the_alerts_of_their_unit(alerts, vantuong_operator):
    html = logged_in(vantuong_operator).get("/ioc/alerts/").content.decode()

    assert ids_in(html, alerts) == {"pm", "cam"}


def test_another_units_alert_is_not_found_and_cannot_be_acknowledged(alerts, camthanh_operator):
    client = logged_in(camthanh_operator)

    assert client.get(f"/ioc/alerts/{alerts['pm'].pk}/").status_code == 404
    assert client.post(f"/ioc/alerts/{alerts['pm'].pk}/acknowledge", {"comment": "x"}).status_code == 404
    assert client.post(f"/ioc/alerts/{alerts['pm'].pk}/clear", {"comment": "x"}).status_code == 404
    assert Alert.objects.get(pk=alerts["pm"].pk).status == Alert.Status.ACTIVE


def test_the_operator_acknowledges_then_clears_with_comments_and_the_page_shows_the_events(
    alerts, vantuong_operator
):
    client = logged_in(vantuong_operator)
    url = f"/ioc/alerts/{alerts['pm'].pk}/"
    page = client.get(url).content.decode()
    assert 'id="acknowledge-form"' in page and 'id="clear-form"' in page

    client.post(url + "acknowledge", {"comment": "Đã báo BQL KKT"})
    response = client.post(url + "clear", {"comment": "Đã xử lý xong"}, follow=True)

    alert = Alert.objects.get(pk=alerts["pm"].pk)
    assert alert.status == Alert.Status.CLEARED and alert.cleared_by == vantuong_operator
    html = response.content.decode()
    assert "Đã báo BQL KKT" in html and "Đã xử lý xong" in html and "vantuong.operator" in html
    assert 'id="clear-form"' not in html


def test_a_viewer_sees_the_alert_without_forms_and_a_post_changes_nothing(alerts, ioc_registry):
    viewer = make_user("vantuong.viewer", "21061", Membership.Role.VIEWER)
    client = logged_in(viewer)
    url = f"/ioc/alerts/{alerts['pm'].pk}/"

    assert 'id="acknowledge-form"' not in client.get(url).content.decode()
    assert client.post(url + "acknowledge", {"comment": "x"}).status_code == 404
    assert Alert.objects.get(pk=alerts["pm"].pk).status == Alert.Status.ACTIVE


def test_acknowledging_needs_a_post_with_the_csrf_token(alerts, vantuong_operator):
    client = logged_in(vantuong_operator, csrf=True)
    url = f"/ioc/alerts/{alerts['pm'].pk}/acknowledge"

    assert client.get(url).status_code == 405
    assert client.post(url, {"comment": "x"}).status_code == 403
    assert Alert.objects.get(pk=alerts["pm"].pk).status == Alert.Status.ACTIVE


def test_a_comment_too_long_is_refused_with_a_message_naming_the_comment(alerts, vantuong_operator):
    response = logged_in(vantuong_operator).post(
        f"/ioc/alerts/{alerts['pm'].pk}/acknowledge", {"comment": "x" * 501}, follow=True
    )

    assert "Ghi chú: tối đa 500 ký tự" in response.content.decode()
    assert Alert.objects.get(pk=alerts["pm"].pk).status == Alert.Status.ACTIVE


def test_anonymous_visitors_are_sent_to_sign_in(alerts):
    response = Client().get("/ioc/alerts/")
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=active", {"pm", "water"}),
        ("severity=critical", {"water"}),
        ("unit=21025", {"water"}),
        ("q=tr%C3%A0+kh%C3%BAc", {"water"}),  # the rule's name, any case
        ("q=aq-dungquat", {"pm"}),
        ("since=2026-11-21&until=2026-11-21", {"cam"}),
        ("status=bogus&since=not-a-date", {"pm", "water", "cam"}),  # what does not parse is ignored
    ],
)
def test_the_history_filters(alerts, office_admin, query, expected):
    html = logged_in(office_admin).get(f"/ioc/alerts/?{query}").content.decode()
    assert ids_in(html, alerts) == expected


def test_the_history_sorts_by_severity_and_by_time(alerts, office_admin):
    client = logged_in(office_admin)

    def order(sort):
        html = client.get(f"/ioc/alerts/?sort={sort}").content.decode()
        return sorted(alerts, key=lambda name: html.index(f'href="/ioc/alerts/{alerts[name].pk}/"'))

    assert order("severity") == ["water", "pm", "cam"]
    assert order("-started") == ["water", "cam", "pm"]
    assert order("started") == ["pm", "cam", "water"]


def test_the_history_pages_by_fifty(ioc_registry, office_admin):
    rule = AlertRule.objects.create(code="many", name="Nhiều", metric="pm25")
    device = Device.objects.get(code="aq-dungquat-01")
    Alert.objects.bulk_create(
        [
            Alert(
                rule=rule,
                device=device,
                unit=device.unit,
                severity="minor",
                status="cleared",
                message=f"#{n}",
                started_at=T0 + timedelta(minutes=n),
                last_at=T0,
            )
            for n in range(60)
        ]
    )
    client = logged_in(office_admin)

    assert client.get("/ioc/alerts/").content.decode().count('class="alert-row') == 50
    assert client.get("/ioc/alerts/?page=2").content.decode().count('class="alert-row') == 10


def test_the_csv_export_holds_exactly_the_filtered_rows_and_defuses_formulas(alerts, vantuong_operator):
    response = logged_in(vantuong_operator).get("/ioc/alerts/export.csv?sort=started")

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(StringIO(body)))
    assert rows[0][:4] == ["Mã", "Bắt đầu", "Mức độ", "Trạng thái"]
    assert [int(r[0]) for r in rows[1:]] == [alerts["pm"].pk, alerts["cam"].pk]
    assert rows[1][4] == "21061" and rows[1][6] == "aq-dungquat-01" and rows[1][9] == "80.0"
    assert rows[2][8] == '\'=HYPERLINK("http://x")'
    assert response["Content-Disposition"].endswith('.csv"')


def test_the_xlsx_export_holds_the_same_rows_as_the_filtered_page(alerts, office_admin):
    response = logged_in(office_admin).get("/ioc/alerts/export.xlsx?status=active&sort=-severity")

    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [alerts["pm"].pk, alerts["water"].pk]
    assert rows[2][2] == "Nghiêm trọng" and rows[2][9] == 4.2


def test_an_unknown_export_format_is_not_found(alerts, office_admin):
    assert logged_in(office_admin).get("/ioc/alerts/export.pdf").status_code == 404


RULE = {
    "code": "wl-alarm-3",
    "name": "Báo động III sông Trà Khúc",
    "severity": "critical",
    "condition": "threshold",
    "metric": "water_level",
    "device": "wl-trakhuc-01",
    "operator": ">=",
    "threshold": "4,5",
    "duration_seconds": "600",
    "repeat_count": "2",
    "notify_emails": "truc@quangngai.gov.vn, pctt@quangngai.gov.vn",
    "notify_webhook": "https://pctt.example.vn/hook",
    "active": "on",
}


def test_the_office_creates_edits_and_deactivates_a_rule_and_each_step_is_audited(ioc_registry, office_admin):
    client = logged_in(office_admin)

    assert client.post("/ioc/rules/new", RULE).status_code == 302
    rule = AlertRule.objects.get(code="wl-alarm-3")
    assert rule.threshold == 4.5 and rule.device.code == "wl-trakhuc-01" and rule.duration_seconds == 600
    assert rule.notify_emails == ["truc@quangngai.gov.vn", "pctt@quangngai.gov.vn"]

    client.post(f"/ioc/rules/{rule.pk}/", RULE | {"threshold": "5"})
    client.post(f"/ioc/rules/{rule.pk}/deactivate")

    rule.refresh_from_db()
    assert rule.threshold == 5 and not rule.active
    trail = list(
        AuditLog.objects.filter(object_id=str(rule.pk), action__startswith="ioc.rule").order_by("id")
    )
    assert [a.action for a in trail] == ["ioc.rule_created", "ioc.rule_updated", "ioc.rule_deactivated"]
    assert trail[1].changes == {"threshold": [4.5, 5.0]}
    assert "wl-alarm-3" in client.get("/ioc/rules/").content.decode()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"threshold": "cao"}, "threshold", "Ngưỡng: phải là một số"),
        ({"operator": "!="}, "operator", "Phép so sánh"),
        ({"device": "ghost"}, "device", "Thiết bị: không có thiết bị"),
        ({"condition": "no_data", "minutes": ""}, "minutes", "Số phút không có số liệu: bắt buộc"),
        ({"notify_emails": "not-an-address"}, "notify_emails", "not-an-address"),
        ({"code": "Có Dấu"}, "code", "Mã quy tắc"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field_and_nothing_is_saved(
    ioc_registry, office_admin, change, field, words
):
    response = logged_in(office_admin).post("/ioc/rules/new", RULE | change)

    html = response.content.decode()
    assert response.status_code == 400
    assert f'data-field="{field}"' in html and words in html
    assert not AlertRule.objects.exists()


def test_an_operator_cannot_see_or_change_the_rules(ioc_registry, vantuong_operator):
    rule = AlertRule.objects.create(code="pm", name="PM", metric="pm25", operator=">", threshold=50)
    client = logged_in(vantuong_operator)

    assert client.get("/ioc/rules/").status_code == 403
    assert client.post("/ioc/rules/new", RULE).status_code == 403
    assert client.post(f"/ioc/rules/{rule.pk}/deactivate").status_code == 403
    assert AlertRule.objects.get().active and AlertRule.objects.count() == 1


def test_the_office_sets_an_indicator_rule_from_the_plans_list(ioc_registry, office_admin):
    from tiendo.plans.models import Indicator

    indicator = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="III", number="9")
    client = logged_in(office_admin)
    assert f'<option value="{indicator.pk}">2026 · III.9' in client.get("/ioc/rules/new").content.decode()

    client.post(
        "/ioc/rules/new", RULE | {"code": "kts", "condition": "indicator", "indicator": str(indicator.pk)}
    )

    rule = AlertRule.objects.get(code="kts")
    assert rule.indicator == indicator and rule.device is None and rule.metric == "" and rule.operator == ""


def test_the_navigation_badge_counts_the_alerts_the_user_sees_that_are_not_over(alerts, vantuong_operator):
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = vantuong_operator
    html = Template("{% load ioc_alerts %}{% alerts_open_badge %}").render(Context({"request": request}))

    assert 'href="/ioc/alerts/"' in html and '<span class="badge text-bg-danger">1</span>' in html


def test_the_navigation_shows_the_badge_on_every_page_and_nothing_once_the_alerts_are_over(
    client, alerts, vantuong_operator
):
    client.force_login(vantuong_operator)

    assert 'id="nav-alerts"' in client.get("/plans/").content.decode()

    Alert.objects.update(status=Alert.Status.CLEARED)
    assert 'id="nav-alerts"' not in client.get("/plans/").content.decode()
