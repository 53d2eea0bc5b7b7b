import io

import pytest
from django.utils import translation
from docx import Document

from tiendo.core.exceptions import ApplicationError
from tiendo.documents.pdf import soffice_path
from tiendo.documents.selectors import trust_roots
from tiendo.documents.services import signing_certificate_upload, submission_seal
from tiendo.documents.signing import verify_pdf_bytes
from tiendo.documents.submission_sheet import render_submission_docx
from tiendo.documents.tests.test_report_pdf import needs
from tiendo.documents.tests.throwaway_ca import ThrowawayCA
from tiendo.reporting.services import submission_approve
from tiendo.reporting.tests.test_submission_workflow import submitted

pytestmark = pytest.mark.django_db


def approved_submission(reporter, reviewer):
    return submission_approve(actor=reviewer, submission=submitted(reporter), version=None)


def test_an_approved_report_reads_as_a_sheet_with_its_values_and_trail(
    small_forms, office_admin, tinhkhe_reporter, tinhkhe_reviewer
):
    submission = approved_submission(tinhkhe_reporter, tinhkhe_reviewer)
    document = Document(io.BytesIO(render_submission_docx(submission)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert submission.dataset.title in text and "Đơn vị báo cáo: Xã Tịnh Khê" in text
    assert "duyệt lúc" in text
    rows = [[c.text for c in r.cells] for r in document.tables[1].rows]
    assert rows[0] == ["TT", "Chỉ tiêu", "Giá trị", "Ghi chú"] and len(rows) > 1
    assert any(r[2] for r in rows[1:])  # values as approved


def test_the_office_seals_an_approved_report_and_it_verifies(
    small_forms, client, office_admin, tinhkhe_reporter, tinhkhe_reviewer
):
    needs(soffice_path(), "LibreOffice")
    submission = approved_submission(tinhkhe_reporter, tinhkhe_reviewer)
    ca = ThrowawayCA()
    signing_certificate_upload(
        actor=office_admin, name="Sở", content=ca.issue_pkcs12("Sở"), passphrase="mat-khau"
    )
    sealed = submission_seal(actor=office_admin, submission=submission)
    (check,) = verify_pdf_bytes(sealed, trust_roots=trust_roots())
    assert check.ok and check.trusted
    client.force_login(office_admin)
    url = f"/reports/{submission.dataset.code}/{submission.unit.code}/{submission.period}/pdf"
    assert client.get(url + "?sealed=1").status_code == 200
    client.force_login(tinhkhe_reporter)
    assert client.get(url).status_code == 200 and client.get(url + "?sealed=1").status_code == 403
    client.logout()
    assert client.get(url).status_code == 404  # another reader: the report's existence is not revealed


def test_a_report_not_yet_approved_is_not_sealed(
    small_forms, office_admin, tinhkhe_reporter, tinhkhe_reviewer
):
    submission = approved_submission(tinhkhe_reporter, tinhkhe_reviewer)
    submission.status = submission.Status.SUBMITTED
    with (
        translation.override("vi"),
        pytest.raises(ApplicationError, match="Chỉ báo cáo đã duyệt mới được ký số"),
    ):
        submission_seal(actor=office_admin, submission=submission)
