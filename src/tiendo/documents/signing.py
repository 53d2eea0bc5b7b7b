"""PDF signatures: seal a PDF with the organisation's certificate (PAdES, pyHanko) and verify any
signed PDF, tiendo's or one signed elsewhere.

Sealing produces PAdES baseline signatures (ETSI EN 319 142-1): subfilter ETSI.CAdES.detached, the
signing-certificate-v2 attribute, no signing-time attribute in the CMS (the claimed time is the
signature dictionary's /M) — profile B-B; and B-T when a time-stamp authority is configured
(TIENDO_TSA_URL, optional TIENDO_TSA_USERNAME / TIENDO_TSA_PASSWORD): the TSA's RFC 3161 token
over the signature is a trusted time, unlike the signer's claim.

The PKCS#12 file and its passphrase are stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256),
under a key taken from TIENDO_SIGNING_KEY, or else derived from the site's SECRET_KEY — changing
that key makes stored certificates unreadable (upload them again).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import io
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tiendo.core.bounded import run_bounded
from tiendo.core.exceptions import ApplicationError

MAX_PDF_BYTES = 50 * 1024 * 1024


def file_too_large(limit: int) -> str:
    """The message for an upload over `limit` bytes, the limit in MB."""
    return _("Tệp quá lớn (tối đa %(mb)s MB)") % {"mb": limit // 2**20}


T = TypeVar("T")


def fernet() -> Fernet:
    secret = os.environ.get("TIENDO_SIGNING_KEY") or settings.SECRET_KEY
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(("tiendo-signing:" + secret).encode()).digest()))


def decrypt(token: bytes) -> bytes:
    """Open what `fernet().encrypt` stored; a changed key is a clear message, not a crash."""
    from cryptography.fernet import InvalidToken

    try:
        return fernet().decrypt(token)
    except InvalidToken:
        raise ApplicationError(
            _(
                "Không giải mã được chứng thư đã lưu (khóa TIENDO_SIGNING_KEY / TIENDO_SECRET_KEY đã đổi?): "
                "hãy nạp lại chứng thư"
            ),
            field="pkcs12",
        ) from None


@dataclass
class Pkcs12Facts:
    subject: str
    issuer: str
    serial: str
    fingerprint_sha256: str
    not_before: datetime
    not_after: datetime
    chain_pem: str


MAX_PKCS12_BYTES = 200 * 1024
MAX_KDF_ITERATIONS = 1_000_000  # per key derivation; OpenSSL writes 2,048, cryptography 20,000
MAX_KDF_TOTAL = 3_000_000  # all derivations of a file (the MAC, the certificates, the key)
PKCS12_SECONDS = 5.0
PKCS12_MEMORY = 256 * 1024 * 1024


def read_pkcs12(content: bytes, passphrase: str) -> Pkcs12Facts:
    """The certificate in a PKCS#12 file, or a clear error (too large, too costly to open, not
    PKCS#12, wrong passphrase, no key). The work is bounded: the file's size, the key derivations it
    asks for (counted before any is run), and the opening itself runs in a child with a deadline."""
    if len(content) > MAX_PKCS12_BYTES:
        raise ApplicationError(file_too_large(MAX_PKCS12_BYTES), field="pkcs12")
    _check_pkcs12_work(content)
    facts = run_bounded(
        lambda: _pkcs12_facts(content, passphrase),
        seconds=PKCS12_SECONDS,
        memory=PKCS12_MEMORY,
        too_long=_("Mở tệp PKCS#12 quá lâu (quá %(seconds)s giây)") % {"seconds": int(PKCS12_SECONDS)},
        too_big=_("Không đọc được tệp PKCS#12 (.p12/.pfx) hoặc sai mật khẩu"),
        refuse=lambda message: ApplicationError(message, field="pkcs12"),
    )
    return Pkcs12Facts(
        **{
            **facts,
            "not_before": datetime.fromisoformat(facts["not_before"]),
            "not_after": datetime.fromisoformat(facts["not_after"]),
        }
    )


def _check_pkcs12_work(content: bytes) -> None:
    """Refuse a file whose key derivations (PBKDF iterations) would take the server minutes: each is
    read from the ASN.1 before anything is derived (what is inside encrypted parts cannot be seen;
    the child's deadline bounds that)."""
    # asn1crypto caches each OID table's name → OID map the first time a name is set; its tsp module
    # adds 'tst_info' to the CMS content types. Parsing a PKCS#12 before tsp was imported froze the
    # map without it, and a later time-stamp token could not be built (PAdES B-T failed).
    from asn1crypto import pkcs12 as asn1_pkcs12
    from asn1crypto import tsp  # noqa: F401

    try:
        pfx = asn1_pkcs12.Pfx.load(content, strict=True)
        counts = [pfx["mac_data"]["iterations"].native if pfx["mac_data"].native else 0]
        for info in pfx.authenticated_safe:
            counts += _iterations(info, asn1_pkcs12)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        raise ApplicationError(
            _("Không đọc được tệp PKCS#12 (.p12/.pfx) hoặc sai mật khẩu"), field="pkcs12"
        ) from None
    if max(counts, default=0) > MAX_KDF_ITERATIONS or sum(counts) > MAX_KDF_TOTAL:
        raise ApplicationError(
            _("Tệp PKCS#12 đòi số vòng dẫn xuất khóa quá lớn (%(count)s, tối đa %(max)s)")
            % {"count": max(counts), "max": MAX_KDF_ITERATIONS},
            field="pkcs12",
        )


def _iterations(info: Any, asn1_pkcs12: Any) -> list[int]:
    """The iteration counts one part of the file asks for (an encrypted part: its own; a plain one:
    each shrouded key bag's)."""
    kind = info["content_type"].native
    if kind == "encrypted_data":
        algorithm = info["content"]["encrypted_content_info"]["content_encryption_algorithm"]
        return [int(algorithm.kdf_iterations)] if algorithm.kdf else [0]
    if kind != "data":
        return []
    counts = []
    for bag in asn1_pkcs12.SafeContents.load(info["content"].native):
        if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
            algorithm = bag["bag_value"]["encryption_algorithm"]
            counts.append(int(algorithm.kdf_iterations) if algorithm.kdf else 0)
    return counts


def _pkcs12_facts(content: bytes, passphrase: str) -> dict[str, str]:
    """What the upload keeps of the certificate, as JSON (this runs in the bounded child)."""
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(content, passphrase.encode() or None)
    except Exception:  # wrong passphrase, not PKCS#12, an algorithm the library does not support
        raise ApplicationError(
            _("Không đọc được tệp PKCS#12 (.p12/.pfx) hoặc sai mật khẩu"),
            field="pkcs12",
        ) from None
    if key is None or certificate is None:
        raise ApplicationError(
            _("Tệp PKCS#12 không có khóa bí mật và chứng thư"),
            field="pkcs12",
        )
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != certificate.public_key().public_bytes(*spki):
        raise ApplicationError(
            _("Khóa bí mật không khớp với chứng thư trong tệp"),
            field="pkcs12",
        )
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "serial": format(certificate.serial_number, "x"),
        "fingerprint_sha256": certificate.fingerprint(_sha256()).hex(),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "chain_pem": "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain),
    }


def _sha256():
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def outside_event_loop(work: Callable[[], T]) -> T:
    """pyHanko's synchronous calls run their own event loop (asyncio.run), which a thread that
    already runs one (an async view, a test driving a browser) refuses: do the work in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def sign_pdf_bytes(
    pdf: bytes, *, pkcs12_content: bytes, passphrase: str, reason: str, location: str
) -> bytes:
    """Add a PAdES signature to the PDF (an incremental update: the signed bytes stay as they were):
    B-T with the configured time-stamp authority's token, else B-B."""
    return outside_event_loop(
        lambda: _sign(
            pdf,
            pkcs12_content=pkcs12_content,
            passphrase=passphrase,
            reason=reason,
            location=location,
            timestamper=_timestamper(),
        )
    )


def _timestamper():
    """The RFC 3161 client for TIENDO_TSA_URL (with its credentials), or None: no timestamp."""
    url = settings.TIENDO_TSA_URL
    if not url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    user, password = settings.TIENDO_TSA_USERNAME, settings.TIENDO_TSA_PASSWORD
    return HTTPTimeStamper(
        url, timeout=settings.TIENDO_TSA_TIMEOUT, auth=(user, password) if user or password else None
    )


def _sign(
    pdf: bytes, *, pkcs12_content: bytes, passphrase: str, reason: str, location: str, timestamper=None
) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    try:
        signer = signers.SimpleSigner.load_pkcs12_data(
            pkcs12_content, [], passphrase=passphrase.encode() or None
        )
    except Exception:
        signer = None
    if signer is None:
        raise ApplicationError(_("Không nạp được chứng thư để ký"), field="pkcs12")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=f"tiendo-{timezone.now():%Y%m%dT%H%M%S}",
        reason=reason,
        location=location,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,  # ETSI.CAdES.detached (pyHanko's default is PKCS#7)
        use_pades_lta=False,
    )
    try:
        return signers.sign_pdf(writer, metadata, signer=signer, timestamper=timestamper).getvalue()
    except Exception as exc:
        if timestamper is None:
            raise
        raise ApplicationError(
            _("Không lấy được dấu thời gian từ máy chủ TSA (TIENDO_TSA_URL %(url)s): %(error)s")
            % {"url": settings.TIENDO_TSA_URL, "error": type(exc).__name__},
            code="tsa_unavailable",
        ) from None


@dataclass
class SignatureCheck:
    field: str
    signer: str
    issuer: str
    signed_at: datetime | None
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the signature matches the signer's certificate
    trusted: bool  # the certificate leads to an authority tiendo trusts
    whole_file: bool  # nothing was added after the signature
    certificate_not_after: datetime
    expired_when_signed: bool  # judged on the timestamp when there is one, else on the signer's claim
    expired_now: bool
    trust_problem: str = ""
    profile: str = ""  # "PAdES B-B", "PAdES B-T", or the non-PAdES kind (e.g. "PKCS#7 (adbe.pkcs7.detached)")
    timestamp_at: datetime | None = None  # the time-stamp authority's time (RFC 3161): a trusted time
    timestamp_sound: bool = True  # the token is intact and matches the signature (True without one)
    timestamp_trusted: bool = True  # the TSA's certificate leads to a trusted authority (True without one)

    @property
    def sound(self) -> bool:
        """The bytes are as signed and the signature matches its certificate (whoever that is)."""
        return (
            self.intact
            and self.valid
            and self.whole_file
            and self.timestamp_sound
            and not self.expired_when_signed
        )

    @property
    def ok(self) -> bool:
        """Sound, and the certificate leads to an authority tiendo trusts: who signed is confirmed."""
        return self.sound and self.trusted and self.timestamp_trusted

    @property
    def state(self) -> str:
        return "ok" if self.ok else ("unconfirmed" if self.sound else "invalid")

    @property
    def verdict(self) -> str:
        if not self.intact or not self.valid:
            return _("Tài liệu đã bị thay đổi sau khi ký")
        if not self.whole_file:
            return _("Có nội dung được thêm sau chữ ký")
        if not self.timestamp_sound:
            return _("Dấu thời gian của chữ ký không khớp hoặc đã bị thay đổi")
        until = {"date": date_format(self.certificate_not_after, "SHORT_DATE_FORMAT")}
        if self.expired_when_signed:
            return _("Chứng thư đã hết hạn khi ký (hạn %(date)s)") % until
        text = _("Nguyên vẹn, chữ ký hợp lệ")
        if self.expired_now:
            text += _("; chứng thư đã hết hạn từ %(date)s") % until
        if not self.trusted:
            text += _("; NHƯNG chưa xác nhận được người ký: chứng thư không dẫn tới nơi cấp được tin cậy")
            text += f" ({self.trust_problem})" if self.trust_problem else ""
        if not self.timestamp_trusted:
            text += _("; dấu thời gian do nơi cấp dấu thời gian (TSA) chưa được tin cậy cấp")
        return text


VERIFY_SECONDS = 20.0  # a signed report verifies in well under a second
VERIFY_MEMORY = 1024 * 1024 * 1024


def verify_pdf_bytes(pdf: bytes, *, trust_roots: list[bytes]) -> list[SignatureCheck]:
    """Every signature of the PDF, checked. `trust_roots`: DER or PEM certificates of trusted authorities.

    The PDF is parsed and checked in a child bounded in time and memory (an anonymous page takes
    files of up to 50 MB): a structure that would take pyHanko minutes is refused instead."""
    if len(pdf) > MAX_PDF_BYTES:
        raise ApplicationError(file_too_large(MAX_PDF_BYTES), field="pdf")
    rows = run_bounded(
        lambda: [
            _plain(check) for check in outside_event_loop(lambda: _verify(pdf, trust_roots=trust_roots))
        ],
        seconds=VERIFY_SECONDS,
        memory=VERIFY_MEMORY,
        too_long=_("Kiểm tra tệp PDF quá lâu (quá %(seconds)s giây)") % {"seconds": int(VERIFY_SECONDS)},
        too_big=_("Không đọc được tệp PDF (hỏng hoặc không phải PDF)"),
        refuse=lambda message: ApplicationError(message, field="pdf"),
    )
    return [_from_plain(row) for row in rows]


def _plain(check: SignatureCheck) -> dict[str, Any]:
    """A check as JSON (times as ISO text), to cross from the child."""
    return {
        name: {"datetime": value.isoformat()} if isinstance(value, datetime) else value
        for name, value in dataclasses.asdict(check).items()
    }


def _from_plain(row: dict[str, Any]) -> SignatureCheck:
    fields: dict[str, Any] = {
        name: datetime.fromisoformat(value["datetime"]) if isinstance(value, dict) else value
        for name, value in row.items()
    }
    return SignatureCheck(**fields)


def _verify(pdf: bytes, *, trust_roots: list[bytes]) -> list[SignatureCheck]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    if len(pdf) > MAX_PDF_BYTES:
        raise ApplicationError(file_too_large(MAX_PDF_BYTES), field="pdf")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        # signatures proper; document timestamps (/DocTimeStamp, PAdES B-LTA) are not signatures
        signatures = reader.embedded_regular_signatures
    except Exception:  # a malformed file must never become a 500 on a public page
        raise ApplicationError(_("Không đọc được tệp PDF (hỏng hoặc không phải PDF)"), field="pdf") from None
    roots = [certificate for root in trust_roots for certificate in _load_certificates(root)]
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    checks = []
    for signature in signatures:
        try:
            with _quiet_pyhanko():  # its warnings are what the check reports, not tracebacks on stderr
                status = validate_pdf_signature(signature, context)
        except Exception:  # a structure pyHanko cannot evaluate: reported, never a crash
            raise ApplicationError(
                _("Không kiểm tra được chữ ký %(field)s (cấu trúc không hợp lệ)")
                % {"field": signature.field_name}
            ) from None
        checks.append(_check(signature, status))
    return checks


def _check(signature, status) -> SignatureCheck:
    """What one validated signature amounts to (pyHanko's status, read for people)."""
    certificate = status.signing_cert
    not_after = certificate.not_valid_after
    stamp = status.timestamp_validity
    stamp_sound = stamp is None or bool(stamp.intact and stamp.valid)
    timestamp_at = stamp.timestamp if stamp is not None and stamp_sound else None
    signed_at = timestamp_at or status.signer_reported_dt
    return SignatureCheck(
        field=signature.field_name,
        signer=certificate.subject.human_friendly,
        issuer=certificate.issuer.human_friendly,
        signed_at=status.signer_reported_dt,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        whole_file=status.coverage is not None and status.coverage.name == "ENTIRE_FILE",
        certificate_not_after=not_after,
        expired_when_signed=bool(signed_at and signed_at > not_after),
        expired_now=timezone.now() > not_after,
        trust_problem=_trust_problem(status),
        profile=signature_profile(signature, timestamped=stamp is not None and stamp_sound),
        timestamp_at=timestamp_at,
        timestamp_sound=stamp_sound,
        timestamp_trusted=stamp is None or bool(stamp.trusted),
    )


def signature_profile(signature, *, timestamped: bool) -> str:
    """The PAdES baseline level a signature meets (ETSI EN 319 142-1): B-B (ETSI.CAdES.detached, the
    signing-certificate-v2 attribute, no CMS signing-time), B-T (and a signature timestamp token);
    a signature of another kind is named by its subfilter."""
    subfilter = str(signature.sig_object.get("/SubFilter", "")).lstrip("/")
    signed = {attribute["type"].native for attribute in signature.signer_info["signed_attrs"]}
    if subfilter != "ETSI.CAdES.detached":
        return f"PKCS#7 ({subfilter or '?'})"
    if "signing_certificate_v2" not in signed or "signing_time" in signed:
        return f"CAdES ({subfilter}), " + _("không đạt PAdES baseline")
    return "PAdES B-T" if timestamped else "PAdES B-B"


@contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    """pyHanko logs a validation failure (an unknown authority…) with its traceback; the result
    says it to the person, so its loggers are kept below ERROR for the call."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _trust_problem(status) -> str:
    if status.trusted:
        return ""
    if getattr(status, "revoked", False):
        return _("chứng thư đã bị thu hồi")
    indication = getattr(status, "trust_problem_indic", None)
    return str(getattr(indication, "name", "") or "").replace("_", " ").lower()


def _load_certificates(content: bytes) -> list[asn1_x509.Certificate]:
    """Every certificate of a PEM bundle, or one DER certificate; a broken one is a clear error."""
    from cryptography import x509

    try:
        if content.lstrip().startswith(b"-----BEGIN"):
            return [
                asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                for c in x509.load_pem_x509_certificates(content)
            ]
        certificate = asn1_x509.Certificate.load(content)
        certificate.native  # noqa: B018 -- parsed now, not in the middle of a validation
        return [certificate]
    except Exception:
        raise ApplicationError(_("Chứng thư của nơi cấp được tin cậy không đọc được")) from None
