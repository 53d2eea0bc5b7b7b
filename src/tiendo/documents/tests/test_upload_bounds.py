"""PKCS#12 and PDF uploads: bounded in size and in the work they ask for, a malformed file a clear
message, nothing kept. (A PKCS#12 can ask for 2³¹ key-derivation rounds: minutes of CPU per upload.)"""

import time

import pytest
from asn1crypto import pkcs12 as asn1_pkcs12
from django.utils import translation

from tiendo.core.exceptions import ApplicationError
from tiendo.documents.models import SigningCertificate
from tiendo.documents.services import signing_certificate_upload
from tiendo.documents.signing import MAX_PDF_BYTES, verify_pdf_bytes
from tiendo.documents.tests.test_pdf_signing import a_pdf
from tiendo.documents.tests.throwaway_ca import ThrowawayCA

pytestmark = pytest.mark.django_db


def with_mac_iterations(content: bytes, iterations: int) -> bytes:
    pfx = asn1_pkcs12.Pfx.load(content)
    pfx["mac_data"]["iterations"] = iterations
    return pfx.dump(force=True)


def refusal(office_admin, content: bytes) -> str:
    started = time.monotonic()
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        signing_certificate_upload(actor=office_admin, name="x", content=content, passphrase="mat-khau")
    assert time.monotonic() - started < 3
    assert caught.value.field == "pkcs12" and not SigningCertificate.objects.exists()
    return str(caught.value.message)


def test_a_pkcs12_asking_for_billions_of_rounds_is_refused_before_any_is_run(office_admin):
    hostile = with_mac_iterations(ThrowawayCA().issue_pkcs12("Sở"), 2**31 - 1)
    assert "asks for too many key-derivation rounds (2147483647, at most 1000000)" in refusal(
        office_admin, hostile
    )


def test_a_pkcs12_over_the_size_bound_is_refused(office_admin):
    assert "too large" in refusal(office_admin, b"0" * (200 * 1024 + 1))


@pytest.mark.parametrize("content", [b"", b"not pkcs12", b"\x30\x82\xff\xff" + b"\x00" * 100, b"\x30" * 5000])
def test_a_malformed_pkcs12_is_a_clear_message(office_admin, content):
    assert "not a PKCS#12 file" in refusal(office_admin, content)


def test_a_real_pkcs12_still_uploads_through_the_bounded_reader(office_admin):
    saved = signing_certificate_upload(
        actor=office_admin, name="Sở", content=ThrowawayCA().issue_pkcs12("Sở"), passphrase="mat-khau"
    )
    assert saved.subject == "CN=Sở,C=VN" and saved.not_after > saved.not_before


PDFS = {
    "truncated": a_pdf()[:150],
    "deep arrays": b"%PDF-1.7\n1 0 obj\n"
    + b"[" * 200_000
    + b"]" * 200_000
    + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF",
    "deep dictionaries": b"%PDF-1.7\n1 0 obj\n" + b"<< /A " * 100_000 + b">>" * 100_000 + b"\nendobj\n%%EOF",
    "20 MB of objects without an xref": b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 1_000_000 + b"%%EOF",
    "not a pdf": b"PK\x03\x04",
}


@pytest.mark.parametrize("name", PDFS)
def test_a_malformed_pdf_is_a_clear_message_quickly(name):
    started = time.monotonic()
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        verify_pdf_bytes(PDFS[name], trust_roots=[])
    assert time.monotonic() - started < 5
    assert caught.value.field == "pdf" and "PDF" in str(caught.value.message)


def test_a_pdf_over_the_size_bound_is_refused_unread():
    with pytest.raises(ApplicationError, match="50 MB"):
        verify_pdf_bytes(b"%PDF" + b"0" * MAX_PDF_BYTES, trust_roots=[])


def test_a_pdf_that_takes_too_long_to_check_is_refused_and_the_child_stopped(monkeypatch):
    """Parsing runs in a bounded child: past VERIFY_SECONDS the answer is a refusal, not a wait."""
    monkeypatch.setattr("tiendo.documents.signing.VERIFY_SECONDS", 0.0)
    with translation.override("en"), pytest.raises(ApplicationError, match="took too long") as caught:
        verify_pdf_bytes(a_pdf(), trust_roots=[])
    assert caught.value.field == "pdf"
