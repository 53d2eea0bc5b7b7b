"""The data stewards' pages: who may manage what, forms that keep every typed value on an error,
uploads that name each bad cell and store nothing, publication and withdrawal through the audited
services."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tiendo.core.models import AuditLog
from tiendo.opendata.models import Dataset, DatasetVersion
from tiendo.opendata.services import dataset_create, dataset_upload
from tiendo.opendata.tests.conftest import HEALTH_CSV, health_fields, published_health_dataset

pytestmark = pytest.mark.django_db

NEW = "/opendata/manage/new"
FORM = {
    "title": "Số trạm y tế xã có bác sĩ",
    "name": "",
    "title_en": "Commune health stations with a doctor",
    "description": "Mỗi xã một dòng; số liệu mô tả thử trong kiểm thử.",
    "description_en": "One row per commune.",
    "publisher": "SYT",
    "themes": ["HEAL", "SOCI"],
    "keywords": "y tế, trạm y tế, bác sĩ",
    "licence": "CC-BY-4.0",
    "frequency": "ANNUAL",
    "temporal_start": "2025-01-01",
    "temporal_end": "2025-12-31",
    "spatial": "51",
    "contact_name": "Phòng Nghiệp vụ Y",
    "contact_email": "nghiepvu.syt@example.gov.vn",
    "access": "public",
}
BAD_CELLS_CSV = (
    "ma_xa,ten_xa,nam,so_tram_y_te,ty_le_ho_so_dien_tu\n"
    "21211,Xã Tịnh Khê,2025,một,96.5\n"
    '21172,Phường Cẩm Thành,năm 2025,2,"1.234,5"\n'
)


def page(name: str) -> str:
    return f"/opendata/manage/{name}/"


def csv_file(text: str, name: str = "tram-y-te.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


# ------------------------------------------------------------------------------------------ access


def test_anonymous_readers_are_sent_to_sign_in(client, shipped_data):
    for url in ("/opendata/manage/", NEW, page("bat-ky")):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url


def test_a_user_who_manages_no_data_gets_not_found(client, syt_viewer, tinhkhe_viewer):
    for user in (syt_viewer, tinhkhe_viewer):
        client.force_login(user)
        assert client.get("/opendata/manage/").status_code == 404
        assert client.get(NEW).status_code == 404
        assert client.post(NEW, FORM).status_code == 404
    assert not Dataset.objects.filter(title=FORM["title"]).exists()


def test_the_office_lists_every_dataset_and_an_agency_admin_only_its_agencys(
    client, office_admin, syt_admin, skhcn_reporter
):
    health = dataset_create(actor=syt_admin, fields=health_fields())
    science = dataset_create(actor=skhcn_reporter, fields=_science_fields())

    client.force_login(office_admin)
    listed = [d.name for d in client.get("/opendata/manage/").context["page"]]
    assert {health.name, science.name} <= set(listed)

    client.force_login(syt_admin)
    response = client.get("/opendata/manage/")
    assert [d.name for d in response.context["page"]] == [health.name]
    assert 'id="dataset-new"' in response.content.decode()
    found = client.get("/opendata/manage/", {"q": "tram y te"}).context["page"]  # typed without diacritics
    assert [d.name for d in found] == [health.name]
    assert list(client.get("/opendata/manage/", {"state": "published"}).context["page"]) == []


def _science_fields():
    from tiendo.orgunits.models import OrgUnit

    return health_fields(
        title="Doanh nghiệp khoa học và công nghệ",
        publisher=OrgUnit.objects.get(code="SKHCN"),
        themes=("TECH",),
    )


def test_the_list_pages_its_datasets(client, office_admin):
    for number in range(27):
        dataset_create(actor=office_admin, fields=health_fields(title=f"Bộ dữ liệu thử {number:02d}"))
    client.force_login(office_admin)

    first = client.get("/opendata/manage/", {"sort": "title"})
    second = client.get("/opendata/manage/", {"sort": "title", "page": 2})

    assert first.context["page"].paginator.count == 27
    assert [d.title for d in second.context["page"]] == ["Bộ dữ liệu thử 25", "Bộ dữ liệu thử 26"]
    assert "page=2" in first.content.decode()


def test_another_agencys_reporter_gets_not_found_on_a_dataset_it_does_not_manage(
    client, syt_admin, skhcn_reporter
):
    dataset = dataset_create(actor=syt_admin, fields=health_fields())
    dataset_upload(actor=syt_admin, dataset=dataset, filename="a.csv", content=HEALTH_CSV.encode())
    client.force_login(skhcn_reporter)

    assert client.get(page(dataset.name)).status_code == 404
    assert client.post(page(dataset.name), {"action": "publish"}).status_code == 404
    assert (
        client.post(page(dataset.name), {"action": "save", **FORM, "publisher": "SKHCN"}).status_code == 404
    )

    dataset.refresh_from_db()
    assert (dataset.state, dataset.publisher.code, dataset.title) == ("draft", "SYT", health_fields().title)


def test_an_agency_viewer_may_read_its_drafts_in_the_catalogue_but_not_manage_them(
    client, syt_admin, syt_viewer
):
    dataset = dataset_create(actor=syt_admin, fields=health_fields())
    client.force_login(syt_viewer)
    assert client.get(page(dataset.name)).status_code == 404


# ------------------------------------------------------------------------------------ the description


def test_a_steward_creates_a_draft_with_every_field_and_it_is_audited(client, syt_admin):
    client.force_login(syt_admin)

    response = client.post(NEW, FORM)

    dataset = Dataset.objects.get(title=FORM["title"])
    assert response.status_code == 302 and response["Location"] == page(dataset.name)
    assert dataset.state == "draft" and dataset.publisher.code == "SYT"
    assert sorted(t.code for t in dataset.themes.all()) == ["HEAL", "SOCI"]
    assert dataset.keywords == ["bác sĩ", "trạm y tế", "y tế"]
    assert (str(dataset.temporal_start), str(dataset.temporal_end), dataset.spatial.code) == (
        "2025-01-01",
        "2025-12-31",
        "51",
    )
    assert (dataset.frequency, dataset.licence_id, dataset.access) == ("ANNUAL", "CC-BY-4.0", "public")
    assert AuditLog.objects.filter(
        action="opendata.dataset.create", actor=syt_admin, object_id=str(dataset.pk)
    ).exists()
    followed = client.get(response["Location"])
    assert (
        "Tải lên" in followed.content.decode()
        and followed.context["form"]["keywords"] == "bác sĩ, trạm y tế, y tế"
    )


def assert_every_value_kept(response, form):
    html = response.content.decode()
    kept = response.context["form"]
    for key, value in form.items():
        assert kept[key] == value, key
    for text in (
        "Mỗi xã một dòng; số liệu mô tả thử trong kiểm thử.",
        "y tế, trạm y tế, bác sĩ",
        "Phòng Nghiệp vụ Y",
    ):
        assert text in html
    assert 'value="HEAL" checked' in html and 'value="SOCI" checked' in html
    assert 'value="nghiepvu.syt@example.gov.vn"' in html


def test_a_create_refused_by_the_service_keeps_every_typed_value_and_names_the_field(client, syt_admin):
    client.force_login(syt_admin)
    bad = FORM | {"temporal_start": "2025-12-31", "temporal_end": "2025-01-01"}

    response = client.post(NEW, bad)

    assert response.status_code == 422
    assert set(response.context["errors"]) == {"temporal_end"}
    assert "ngày bắt đầu sau ngày kết thúc" in response.content.decode()
    assert_every_value_kept(response, bad)
    assert 'value="2025-12-31"' in response.content.decode()
    assert not Dataset.objects.filter(title=FORM["title"]).exists()


def test_a_publisher_the_user_does_not_manage_and_a_bad_date_are_named_and_nothing_is_lost(client, syt_admin):
    client.force_login(syt_admin)
    bad = FORM | {"publisher": "SKHCN", "temporal_start": "31/12/2025"}

    response = client.post(NEW, bad)

    assert response.status_code == 422
    assert set(response.context["errors"]) == {"publisher", "temporal_start"}
    assert_every_value_kept(response, bad)
    assert 'value="31/12/2025"' in response.content.decode()
    assert not Dataset.objects.filter(title=FORM["title"]).exists()


def test_a_name_already_taken_is_refused_next_to_the_name(client, syt_admin):
    taken = dataset_create(actor=syt_admin, fields=health_fields())
    client.force_login(syt_admin)

    response = client.post(NEW, FORM | {"name": taken.name})

    assert response.status_code == 422 and "name" in response.context["errors"]
    assert taken.name in response.context["errors"]["name"]
    assert_every_value_kept(response, FORM | {"name": taken.name})


def test_an_edit_with_an_error_keeps_every_typed_value_and_changes_nothing(client, syt_admin):
    dataset = dataset_create(actor=syt_admin, fields=health_fields())
    client.force_login(syt_admin)
    edit = FORM | {"action": "save", "title": "Tên mới", "access": "restricted"}  # no unit named

    response = client.post(page(dataset.name), edit)

    assert response.status_code == 422 and set(response.context["errors"]) == {"allowed_units"}
    assert_every_value_kept(response, FORM | {"title": "Tên mới", "access": "restricted"})
    assert 'id="f-access-restricted" name="access" value="restricted" checked' in response.content.decode()
    dataset.refresh_from_db()
    assert dataset.title == health_fields().title and dataset.access == "public"


def test_an_edit_saves_redirects_and_audits_what_changed(client, syt_admin):
    dataset = dataset_create(actor=syt_admin, fields=health_fields())
    client.force_login(syt_admin)
    edit = FORM | {"action": "save", "name": dataset.name, "access": "restricted", "allowed_units": ["21211"]}

    response = client.post(page(dataset.name), edit)

    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.title == FORM["title"] and [u.code for u in dataset.allowed_units.all()] == ["21211"]
    audit = AuditLog.objects.get(action="opendata.dataset.update", object_id=str(dataset.pk))
    assert audit.actor == syt_admin and "access" in audit.changes
    assert "Đã lưu mô tả" in client.get(response["Location"]).content.decode()


# ----------------------------------------------------------------------------------------- versions


def test_an_upload_with_bad_cells_names_each_one_keeps_the_note_and_stores_nothing(client, syt_admin):
    dataset = published_health_dataset(syt_admin)
    client.force_login(syt_admin)
    note = "Số liệu rà soát quý IV"

    response = client.post(
        page(dataset.name), {"action": "upload", "file": csv_file(BAD_CELLS_CSV), "note": note}
    )

    assert response.status_code == 422
    upload = response.context["upload"]
    assert upload["total"] == 3
    assert [(c.row, c.column, c.value) for c in upload["cells"]] == [
        (2, "so_tram_y_te", "một"),
        (3, "nam", "năm 2025"),
        (3, "ty_le_ho_so_dien_tu", "1.234,5"),
    ]
    html = response.content.decode()
    assert 'id="bad-cells"' in html and "năm 2025" in html and "phải là số nguyên" in html
    assert f'value="{note}"' in html
    assert DatasetVersion.objects.filter(dataset=dataset).count() == 1
    assert not AuditLog.objects.filter(action="opendata.version.create", changes__version=2).exists()


def test_past_the_hundredth_bad_cell_the_page_says_how_many_more_there_are(client, syt_admin):
    dataset = published_health_dataset(syt_admin)
    client.force_login(syt_admin)
    lines = "".join(f"21211,Xã Tịnh Khê,2025,x{i},96.5\n" for i in range(150))
    bad = "ma_xa,ten_xa,nam,so_tram_y_te,ty_le_ho_so_dien_tu\n" + lines

    response = client.post(page(dataset.name), {"action": "upload", "file": csv_file(bad)})

    assert response.status_code == 422 and len(response.context["upload"]["cells"]) == 100
    assert "Hiện 100 ô sai đầu tiên trong 150 ô." in response.content.decode()
    assert DatasetVersion.objects.filter(dataset=dataset).count() == 1


def test_a_good_upload_makes_the_next_version_with_its_note(client, syt_admin):
    dataset = published_health_dataset(syt_admin)
    client.force_login(syt_admin)
    newer = HEALTH_CSV.replace("96.5", "97.1")

    response = client.post(
        page(dataset.name), {"action": "upload", "file": csv_file(newer), "note": "quý IV"}
    )

    assert response.status_code == 302
    version = DatasetVersion.objects.get(dataset=dataset, number=2)
    assert (version.row_count, version.note, version.created_by) == (2, "quý IV", syt_admin)
    followed = client.get(response["Location"]).content.decode()
    assert "Đã lưu phiên bản 2 (2 dòng)" in followed and 'id="versions"' in followed


def test_an_upload_without_a_file_is_refused_with_a_message(client, syt_admin):
    dataset = dataset_create(actor=syt_admin, fields=health_fields())
    client.force_login(syt_admin)

    response = client.post(page(dataset.name), {"action": "upload", "note": "ghi chú"})

    assert response.status_code == 422 and response.context["upload"]["error"]
    assert 'value="ghi chú"' in response.content.decode()


# ------------------------------------------------------------------------------------- publication


def test_publishing_and_withdrawing_go_through_the_services_and_are_audited(client, syt_admin):
    dataset = dataset_create(actor=syt_admin, fields=health_fields())
    dataset_upload(actor=syt_admin, dataset=dataset, filename="a.csv", content=HEALTH_CSV.encode())
    client.force_login(syt_admin)

    published = client.post(page(dataset.name), {"action": "publish"})
    assert published.status_code == 302
    dataset.refresh_from_db()
    assert dataset.state == "published"
    assert AuditLog.objects.filter(action="opendata.dataset.publish", actor=syt_admin).exists()
    assert 'id="public-page"' in client.get(published["Location"]).content.decode()

    refused = client.post(page(dataset.name), {"action": "withdraw", "reason": "  "})
    assert refused.status_code == 422 and refused.context["withdraw"]["error"]
    dataset.refresh_from_db()
    assert dataset.state == "published"

    withdrawn = client.post(page(dataset.name), {"action": "withdraw", "reason": "Sai số liệu xã Tịnh Khê"})
    assert withdrawn.status_code == 302
    dataset.refresh_from_db()
    assert dataset.state == "withdrawn"
    audit = AuditLog.objects.get(action="opendata.dataset.withdraw", object_id=str(dataset.pk))
    assert (audit.actor, audit.reason) == (syt_admin, "Sai số liệu xã Tịnh Khê")
    assert "Công bố lại" in client.get(withdrawn["Location"]).content.decode()


def test_publishing_without_a_version_is_refused_and_nothing_changes(client, syt_admin):
    dataset = dataset_create(actor=syt_admin, fields=health_fields())
    client.force_login(syt_admin)

    response = client.post(page(dataset.name), {"action": "publish"})

    assert response.status_code == 422 and "Chưa có phiên bản" in response.context["publish_error"]
    dataset.refresh_from_db()
    assert dataset.state == "draft"
    assert not AuditLog.objects.filter(action="opendata.dataset.publish").exists()


def test_the_office_manages_an_agencys_dataset_and_an_unknown_action_is_a_bad_request(
    client, syt_admin, office_admin
):
    dataset = published_health_dataset(syt_admin)
    client.force_login(office_admin)

    assert client.get(page(dataset.name)).status_code == 200
    assert client.post(page(dataset.name), {"action": "delete"}).status_code == 400
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_the_pages_hold_no_inline_script_or_style_even_with_errors(client, syt_admin):
    from tiendo.tests.test_content_security_policy import inline_code

    dataset = published_health_dataset(syt_admin)
    client.force_login(syt_admin)
    pages = [
        client.get("/opendata/manage/"),
        client.get(NEW),
        client.post(NEW, FORM | {"publisher": "SKHCN"}),
        client.get(page(dataset.name)),
        client.post(page(dataset.name), {"action": "upload", "file": csv_file(BAD_CELLS_CSV)}),
    ]
    for response in pages:
        assert "style-src 'self'" in response["Content-Security-Policy"]
        assert inline_code(response.content.decode()) == []
