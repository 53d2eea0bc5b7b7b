"""The report as PDF through LibreOffice, and the PDF as PNG pages through pdftoppm: proof that the
DOCX opens in a real reader. Where LibreOffice is missing the test is skipped, except under CI=true
(.ci/run installs Debian's libreoffice-writer-nogui and poppler-utils), where it fails."""

import shutil
import subprocess

import pytest
from django.contrib.auth.models import AnonymousUser

from tiendo.conftest import IN_CI
from tiendo.documents.docx_writer import render_docx
from tiendo.documents.pdf import docx_to_pdf, soffice_path
from tiendo.documents.report import evaluation_report
from tiendo.plans.models import Plan
from tiendo.web.tests.test_browser import ARTIFACTS

pytestmark = pytest.mark.django_db


def needs(program: str | None, name: str) -> None:
    if program is None:
        if IN_CI:
            pytest.fail(f"{name} is not installed (CI=true)")
        pytest.skip(f"{name} is not installed")


def test_the_docx_converts_to_a_pdf_whose_pages_render(shipped_data, tmp_path):
    needs(soffice_path(), "LibreOffice")
    needs(shutil.which("pdftoppm"), "pdftoppm (poppler-utils)")
    report = evaluation_report(user=AnonymousUser(), plan=Plan.objects.get(code="quang-ngai-2025"))
    pdf = docx_to_pdf(render_docx(report, signer_name="Nguyễn Văn A"))
    assert pdf.startswith(b"%PDF-")
    (tmp_path / "report.pdf").write_bytes(pdf)
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "report.pdf")], capture_output=True, text=True, check=True
    )
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages:")))
    assert pages >= 4  # the report, then Phụ lục I and Phụ lục II on pages of their own
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "report.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=60,
    )
    (image,) = tmp_path.glob("page*.png")
    assert image.stat().st_size > 10_000  # a page with text, not a blank
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(image, ARTIFACTS / "bao-cao-2025-trang-1.png")  # kept for a person to look at


def test_without_libreoffice_the_pdf_is_refused_with_a_clear_message(client, shipped_data, monkeypatch):
    monkeypatch.setattr("tiendo.documents.pdf.soffice_path", lambda: None)
    response = client.get("/plans/quang-ngai-2025/report.pdf")
    assert response.status_code == 503
    assert "LibreOffice" in response.content.decode()


def test_the_office_downloads_the_report_pdf_sealed_and_it_verifies(client, office_admin, shipped_data):
    needs(soffice_path(), "LibreOffice")
    from tiendo.documents.selectors import trust_roots
    from tiendo.documents.services import signing_certificate_upload
    from tiendo.documents.signing import verify_pdf_bytes
    from tiendo.documents.tests.throwaway_ca import ThrowawayCA

    ca = ThrowawayCA()
    signing_certificate_upload(
        actor=office_admin,
        name="Sở",
        content=ca.issue_pkcs12("Sở Khoa học và Công nghệ"),
        passphrase="mat-khau",
    )
    client.force_login(office_admin)
    response = client.get("/plans/quang-ngai-2025/report.pdf?signed=1")
    assert response.status_code == 200
    (check,) = verify_pdf_bytes(response.content, trust_roots=trust_roots())
    assert check.ok and check.trusted
    client.logout()
    assert (
        client.get("/plans/quang-ngai-2025/report.pdf?signed=1").status_code == 403
    )  # sealing is the office's
