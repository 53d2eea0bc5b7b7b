"""Sealed PDFs are PAdES (issue 10): B-B without a time-stamp authority, B-T with one — checked by
two validators besides tiendo's own reading: poppler's `pdfsig` and pyHanko's validation — and
`tiendo verify` answers in three states, never with a traceback.

The time-stamp authority is pyHanko's DummyTimeStamper served over HTTP on 127.0.0.1 by the test
(a real RFC 3161 exchange: the request and the token travel as application/timestamp-query/-reply).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone, translation

from tiendo.core.exceptions import ApplicationError
from tiendo.core.models import AuditLog
from tiendo.documents.services import pdf_sign, signing_certificate_upload
from tiendo.documents.signing import _sign, verify_pdf_bytes
from tiendo.documents.tests.test_pdf_signing import a_pdf
from tiendo.documents.tests.test_report_pdf import needs
from tiendo.documents.tests.throwaway_ca import ThrowawayCA

pytestmark = pytest.mark.django_db

TIENDO = Path(sys.executable).with_name("tiendo")


@pytest.fixture(autouse=True)
def language_restored():
    """A request in English activates English in this thread; the next test starts as it found it."""
    with translation.override("vi"):
        yield


class TimeStampAuthority:
    """pyHanko's test time stamper behind a small HTTP server on a free port of 127.0.0.1."""

    def __init__(self, ca: ThrowawayCA) -> None:
        from pyhanko.sign.timestamps import DummyTimeStamper

        self.certificate, key = ca.issue_tsa()
        self.stamper = DummyTimeStamper(tsa_cert=self.certificate, tsa_key=key)
        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self):
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                from asn1crypto import tsp

                body = self.rfile.read(int(self.headers["Content-Length"]))
                authority.requests += 1
                request = tsp.TimeStampReq.load(body)
                reply = authority.stamper.request_tsa_response(request).dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        return Handler

    def __enter__(self) -> TimeStampAuthority:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ca():
    return ThrowawayCA("Throw-away PAdES test CA")


@pytest.fixture
def uploaded(ca, office_admin):
    return signing_certificate_upload(
        actor=office_admin,
        name="Sở",
        content=ca.issue_pkcs12("Sở Khoa học và Công nghệ"),
        passphrase="mat-khau",
    )


@pytest.fixture
def tsa(ca, settings):
    with TimeStampAuthority(ca) as authority:
        settings.TIENDO_TSA_URL = authority.url
        yield authority


def pdfsig(path: Path) -> str:
    needs(shutil.which("pdfsig"), "pdfsig (poppler-utils)")  # skipped here without it, a failure in CI
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


def pyhanko_status(pdf: bytes, *roots):
    """pyHanko's own validation of the one signature, trusting `roots` (asn1crypto certificates)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=list(roots)))
    return signature, status


def ades(pdf: bytes, root, *, with_time: bool):
    """pyHanko's AdES validation (ETSI EN 319 102-1): basic (§ 5.3), or with time (§ 5.5), which
    needs a signature timestamp — i.e. passes for B-T and not for B-B. Revocation is not checked:
    the test certificates name no CRL or OCSP responder."""
    import asyncio

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.ades import ades_basic_validation, ades_with_time_validation
    from pyhanko.sign.validation.policy_decl import SignatureValidationSpec
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import NO_REVOCATION, CertRevTrustPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager

    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=[root]),
        revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
    )
    validate = ades_with_time_validation if with_time else ades_basic_validation
    return asyncio.run(
        validate(
            signature.signed_data,
            SignatureValidationSpec(cert_validation_policy=policy),
            raw_digest=signature.compute_digest(),
        )
    )


def ca_certificate(ca: ThrowawayCA):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    return asn1_x509.Certificate.load(ca.certificate.public_bytes(serialization.Encoding.DER))


def signed_attributes(signature) -> set[str]:
    return {attribute["type"].native for attribute in signature.signer_info["signed_attrs"]}


def test_a_seal_without_a_timestamp_authority_is_pades_b_b(office_admin, uploaded, ca, tmp_path, settings):
    settings.TIENDO_TSA_URL = ""
    sealed = pdf_sign(actor=office_admin, pdf=a_pdf(), reason="Đã duyệt")
    path = tmp_path / "b-b.pdf"
    path.write_bytes(sealed)
    report = pdfsig(path)
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report and "Signature is Valid." in report
    signature, status = pyhanko_status(sealed, ca_certificate(ca))
    assert str(signature.sig_object["/SubFilter"]) == "/ETSI.CAdES.detached"
    assert status.bottom_line and status.timestamp_validity is None
    assert "signing_certificate_v2" in signed_attributes(signature)
    assert "signing_time" not in signed_attributes(signature)  # PAdES: the claimed time is /M
    from pyhanko.sign.ades.report import AdESIndeterminate, AdESPassed

    assert ades(sealed, ca_certificate(ca), with_time=False).ades_subindic == AdESPassed.OK
    untimed = ades(sealed, ca_certificate(ca), with_time=True)
    assert untimed.ades_subindic == AdESIndeterminate.SIG_CONSTRAINTS_FAILURE
    assert untimed.failure_msg == "No signature timestamp present"  # B-B, not B-T
    (check,) = verify_pdf_bytes(sealed, trust_roots=[ca.pem])
    assert check.ok and check.profile == "PAdES B-B" and check.timestamp_at is None
    assert AuditLog.objects.get(action="pdf.sign").changes["profile"] == "PAdES B-B"


def test_a_seal_with_a_timestamp_authority_is_pades_b_t_and_two_validators_agree(
    office_admin, uploaded, ca, tsa, tmp_path
):
    before = timezone.now()
    sealed = pdf_sign(actor=office_admin, pdf=a_pdf(), reason="Đã duyệt")
    assert tsa.requests >= 1  # pyHanko asks once more to size the signature
    path = tmp_path / "b-t.pdf"
    path.write_bytes(sealed)
    report = pdfsig(path)
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report and "Signature is Valid." in report
    signature, status = pyhanko_status(sealed, ca_certificate(ca))
    assert str(signature.sig_object["/SubFilter"]) == "/ETSI.CAdES.detached"
    assert "signing_certificate_v2" in signed_attributes(signature)
    assert "signing_time" not in signed_attributes(signature)
    unsigned = {a["type"].native for a in signature.signer_info["unsigned_attrs"]}
    assert "signature_time_stamp_token" in unsigned
    stamp = status.timestamp_validity  # the signature timestamp token, validated by pyHanko
    assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted
    assert stamp.signing_cert.dump() == tsa.certificate.dump()  # signed by the test's TSA
    assert before - timedelta(seconds=5) <= stamp.timestamp <= timezone.now() + timedelta(seconds=5)
    assert status.bottom_line
    from pyhanko.sign.ades.report import AdESPassed

    timed = ades(sealed, ca_certificate(ca), with_time=True)  # AdES with time: the B-T level
    assert timed.ades_subindic == AdESPassed.OK and timed.best_signature_time == stamp.timestamp
    (check,) = verify_pdf_bytes(sealed, trust_roots=[ca.pem])
    assert check.ok and check.profile == "PAdES B-T" and check.timestamp_at == stamp.timestamp
    assert AuditLog.objects.get(action="pdf.sign").changes["profile"] == "PAdES B-T"


def test_a_timestamp_from_an_authority_not_trusted_leaves_the_signer_unconfirmed(ca, tsa):
    other = ThrowawayCA("Another CA")
    with TimeStampAuthority(other) as untrusted:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        sealed = _sign(
            a_pdf(),
            pkcs12_content=ca.issue_pkcs12("Sở"),
            passphrase="mat-khau",
            reason="x",
            location="",
            timestamper=HTTPTimeStamper(untrusted.url),
        )
    (check,) = verify_pdf_bytes(sealed, trust_roots=[ca.pem])
    assert check.sound and check.trusted and not check.timestamp_trusted
    assert check.state == "unconfirmed" and check.profile == "PAdES B-T"


def test_an_unreachable_timestamp_authority_is_a_clear_error_and_nothing_is_sealed(
    office_admin, uploaded, settings
):
    settings.TIENDO_TSA_URL = "http://127.0.0.1:9/tsa"  # the discard port: nothing answers
    settings.TIENDO_TSA_TIMEOUT = 2
    with pytest.raises(ApplicationError) as caught:
        pdf_sign(actor=office_admin, pdf=a_pdf(), reason="x")
    assert caught.value.code == "tsa_unavailable" and "TIENDO_TSA_URL" in str(caught.value)
    assert not AuditLog.objects.filter(action="pdf.sign").exists()


def test_the_verify_page_shows_the_profile_and_the_trusted_time(client, office_admin, uploaded, tsa):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sealed = pdf_sign(actor=office_admin, pdf=a_pdf(), reason="x")
    client.cookies["django_language"] = "en"
    response = client.post(
        "/documents/verify/", {"pdf": SimpleUploadedFile("a.pdf", sealed, "application/pdf")}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "PAdES B-T" in html
    (check,) = verify_pdf_bytes(sealed, trust_roots=[])
    assert 'class="verify-timestamp">—' not in html and check.timestamp_at is not None


@pytest.fixture
def command_env(tmp_path):
    """`tiendo` as an operator runs it, on its own migrated SQLite database."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TIENDO_DATA_DIR": str(tmp_path),
        "TIENDO_TSA_URL": "",
        "LANG": "C.UTF-8",
        "TIENDO_LANG": "vi",
    }
    subprocess.run([str(TIENDO), "migrate", "-v0"], env=env, check=True, timeout=300)
    return env


def test_tiendo_verify_answers_in_three_states_and_never_with_a_traceback(ca, tsa, tmp_path, command_env):
    sealed = _sign(
        a_pdf(),
        pkcs12_content=ThrowawayCA("Unknown CA").issue_pkcs12("Người ký lạ"),
        passphrase="mat-khau",
        reason="x",
        location="",
    )
    unknown = tmp_path / "unknown-signer.pdf"
    unknown.write_bytes(sealed)
    run = subprocess.run(
        [str(TIENDO), "verify", str(unknown)], env=command_env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2, run.stderr
    assert "CHƯA XÁC NHẬN NGƯỜI KÝ" in run.stdout and "PAdES B-B" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr and run.stderr == ""

    from pyhanko.sign.timestamps import HTTPTimeStamper

    timestamped = tmp_path / "trusted.pdf"
    timestamped.write_bytes(
        _sign(
            a_pdf(),
            pkcs12_content=ca.issue_pkcs12("Sở"),
            passphrase="mat-khau",
            reason="x",
            location="",
            timestamper=HTTPTimeStamper(tsa.url),
        )
    )
    root = tmp_path / "ca.pem"
    root.write_bytes(ca.pem)
    ok = subprocess.run(
        [str(TIENDO), "verify", str(timestamped), "--trust", str(root)],
        env=command_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK —" in ok.stdout and "PAdES B-T" in ok.stdout and "dấu thời gian (TSA" in ok.stdout

    altered = bytearray(timestamped.read_bytes())
    index = altered.index(b"/MediaBox") + 12
    altered[index] = ord("9") if altered[index] != ord("9") else ord("8")
    broken = tmp_path / "altered.pdf"
    broken.write_bytes(bytes(altered))
    bad = subprocess.run(
        [str(TIENDO), "verify", str(broken), "--trust", str(root)],
        env=command_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "KHÔNG HỢP LỆ" in bad.stdout and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("url", "user", "expected"),
    [
        ("", "", []),
        ("https://tsa.example.vn/tsa", "u", []),
        ("tsa.example.vn", "", ["tiendo.documents.E001"]),
        ("http://tsa.example.vn/tsa", "u", ["tiendo.documents.W001"]),
    ],
)
def test_tiendo_check_reports_a_misconfigured_timestamp_authority(settings, url, user, expected):
    from tiendo.documents.checks import check_timestamp_authority

    settings.TIENDO_TSA_URL, settings.TIENDO_TSA_USERNAME = url, user
    assert [message.id for message in check_timestamp_authority(None)] == expected
