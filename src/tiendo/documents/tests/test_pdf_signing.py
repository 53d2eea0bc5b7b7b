"""Sealing PDFs with the office's certificate and verifying any signed PDF (pyHanko), with a
throw-away CA made in the test."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.utils import translation

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.models import AuditLog
from tiendo.documents.models import SigningCertificate
from tiendo.documents.selectors import trust_roots
from tiendo.documents.services import pdf_sign, signing_certificate_upload
from tiendo.documents.signing import decrypt, sign_pdf_bytes, verify_pdf_bytes
from tiendo.documents.tests.throwaway_ca import ThrowawayCA

pytestmark = pytest.mark.django_db


def a_pdf() -> bytes:
    """A small real PDF with one empty A4 page, written by pyHanko's own writer."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter()
    writer.insert_page(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (0, 0, 595, 842)]
                ),
                generic.NameObject("/Resources"): generic.DictionaryObject(),
            }
        )
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def ca():
    return ThrowawayCA()


@pytest.fixture
def uploaded(ca, office_admin):
    return signing_certificate_upload(
        actor=office_admin,
        name="Sở KH&CN",
        content=ca.issue_pkcs12("Sở Khoa học và Công nghệ"),
        passphrase="mat-khau",
    )


def test_the_office_uploads_its_certificate_and_it_is_kept_encrypted(ca, office_admin, uploaded):
    assert uploaded.subject == "CN=Sở Khoa học và Công nghệ,C=VN" and uploaded.active
    stored = bytes(uploaded.pkcs12_encrypted)
    assert decrypt(bytes(uploaded.passphrase_encrypted)) == b"mat-khau"  # readable with the site's key
    with pytest.raises(InvalidToken):  # and with no other
        Fernet(Fernet.generate_key()).decrypt(stored)
    assert ca.pem.decode().split("\n")[1] in uploaded.chain_pem  # its authority is trusted for verifying
    assert AuditLog.objects.filter(action="signingcertificate.upload").exists()


@pytest.mark.parametrize(("passphrase", "content"), [("sai", None), ("mat-khau", b"not a p12")])
def test_a_bad_file_or_passphrase_is_refused_and_nothing_kept(ca, office_admin, passphrase, content):
    with pytest.raises(ApplicationError) as error:
        signing_certificate_upload(
            actor=office_admin, name="x", content=content or ca.issue_pkcs12("X"), passphrase=passphrase
        )
    assert error.value.field == "pkcs12" and not SigningCertificate.objects.exists()
    assert "PKCS#12" in str(error.value)


def test_an_expired_certificate_is_refused_at_upload(ca, office_admin):
    expired = ca.issue_pkcs12("Cũ", valid_from_days=-400, valid_days=30)
    with pytest.raises(ApplicationError, match="hết hạn"):
        signing_certificate_upload(actor=office_admin, name="cũ", content=expired, passphrase="mat-khau")


def test_only_the_office_uploads_and_signs(ca, tinhkhe_reporter, uploaded):
    with pytest.raises(PermissionDeniedError):
        signing_certificate_upload(
            actor=tinhkhe_reporter, name="x", content=ca.issue_pkcs12("X"), passphrase="mat-khau"
        )
    with pytest.raises(PermissionDeniedError):
        pdf_sign(actor=tinhkhe_reporter, pdf=a_pdf(), reason="x")


def test_signed_then_verified_it_passes_and_one_flipped_byte_fails(office_admin, uploaded):
    signed = pdf_sign(actor=office_admin, pdf=a_pdf(), reason="Báo cáo năm 2025", location="Quảng Ngãi")
    (check,) = verify_pdf_bytes(signed, trust_roots=trust_roots())
    assert check.ok and check.trusted and check.intact and check.whole_file
    assert "Sở Khoa học và Công nghệ" in check.signer and check.signed_at is not None
    assert AuditLog.objects.filter(action="pdf.sign").count() == 1
    altered = bytearray(signed)
    index = signed.index(b"/MediaBox") + 12  # a byte inside the signed page dictionary
    altered[index] = ord("9") if altered[index] != ord("9") else ord("8")
    (broken,) = verify_pdf_bytes(bytes(altered), trust_roots=trust_roots())
    assert not broken.ok and "bị thay đổi" in broken.verdict
    with translation.override("en"):
        assert "altered" in broken.verdict


def test_an_expired_certificate_is_reported_as_such(ca):
    expired = ca.issue_pkcs12("Hết hạn", valid_from_days=-400, valid_days=30)
    signed = sign_pdf_bytes(a_pdf(), pkcs12_content=expired, passphrase="mat-khau", reason="x", location="")
    (check,) = verify_pdf_bytes(signed, trust_roots=[ca.pem])
    assert check.intact and check.expired_when_signed and not check.ok
    assert "hết hạn" in check.verdict
    with translation.override("en"):
        assert "expired" in check.verdict


def test_a_pdf_signed_elsewhere_is_verified_and_its_unknown_authority_said(uploaded):
    elsewhere = ThrowawayCA("Another authority")
    signed = sign_pdf_bytes(
        a_pdf(),
        pkcs12_content=elsewhere.issue_pkcs12("UBND xã"),
        passphrase="mat-khau",
        reason="x",
        location="",
    )
    (check,) = verify_pdf_bytes(signed, trust_roots=trust_roots())
    assert check.intact and check.valid and not check.trusted
    assert check.state == "unconfirmed" and not check.ok  # never a green "valid" for an unknown signer
    assert "chưa xác nhận được người ký" in check.verdict
    with translation.override("en"):
        assert "the signer is not confirmed" in check.verdict


def test_not_a_pdf_gets_a_clear_error():
    with translation.override("en"), pytest.raises(ApplicationError, match="not a readable PDF"):
        verify_pdf_bytes(b"hello", trust_roots=[])


def test_tiendo_verify_prints_the_result_and_fails_on_an_altered_file(
    office_admin, uploaded, tmp_path, capsys
):
    signed = pdf_sign(actor=office_admin, pdf=a_pdf(), reason="x")
    good = tmp_path / "good.pdf"
    good.write_bytes(signed)
    call_command("verify", str(good))
    assert "OK — Nguyên vẹn" in capsys.readouterr().out
    bad = tmp_path / "bad.pdf"
    altered = bytearray(signed)
    index = signed.index(b"/MediaBox") + 12
    altered[index] = ord("9") if altered[index] != ord("9") else ord("8")
    bad.write_bytes(bytes(altered))
    with pytest.raises(SystemExit):
        call_command("verify", str(bad))
    assert "KHÔNG HỢP LỆ" in capsys.readouterr().out


def test_the_verify_page_checks_an_uploaded_pdf(client, office_admin, uploaded):
    from django.core.files.uploadedfile import SimpleUploadedFile

    signed = pdf_sign(actor=office_admin, pdf=a_pdf(), reason="x")
    response = client.post(
        "/documents/verify/", {"pdf": SimpleUploadedFile("a.pdf", signed, "application/pdf")}
    )
    assert response.status_code == 200 and 'id="verify-result"' in response.content.decode()
    unsigned = client.post(
        "/documents/verify/", {"pdf": SimpleUploadedFile("b.pdf", a_pdf(), "application/pdf")}
    )
    assert unsigned.status_code == 400 and "không có chữ ký" in unsigned.content.decode()


def test_the_office_uploads_through_the_page(client, office_admin, ca):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(office_admin)
    upload = SimpleUploadedFile("so.p12", ca.issue_pkcs12("Sở"), "application/x-pkcs12")
    response = client.post(
        "/documents/certificates/", {"name": "Sở", "pkcs12": upload, "passphrase": "mat-khau"}
    )
    assert response.status_code == 302 and SigningCertificate.objects.get().name == "Sở"


def test_a_changed_signing_key_is_a_clear_message(office_admin, uploaded, monkeypatch):
    monkeypatch.setenv("TIENDO_SIGNING_KEY", "a different key than the one used at upload")
    with translation.override("en"), pytest.raises(ApplicationError, match="upload it again"):
        pdf_sign(actor=office_admin, pdf=a_pdf(), reason="x")


def test_only_the_active_certificates_authority_is_trusted(ca, office_admin, uploaded):
    other = ThrowawayCA("Second authority")
    signing_certificate_upload(
        actor=office_admin, name="mới", content=other.issue_pkcs12("Sở"), passphrase="mat-khau"
    )
    old_seal = sign_pdf_bytes(
        a_pdf(), pkcs12_content=ca.issue_pkcs12("Sở cũ"), passphrase="mat-khau", reason="x", location=""
    )
    (check,) = verify_pdf_bytes(old_seal, trust_roots=trust_roots())
    assert not check.trusted  # the deactivated certificate's authority is no longer a trust anchor
