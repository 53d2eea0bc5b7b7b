from __future__ import annotations

import os
from pathlib import Path

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError
from tiendo.core.types import Actor
from tiendo.documents.models import ReportTemplate, SigningCertificate
from tiendo.documents.narrative import DEFAULT_EVALUATION_REPORT

DEFAULTS = {ReportTemplate.Kind.EVALUATION_REPORT: DEFAULT_EVALUATION_REPORT}


def report_template_versions(*, user: Actor, kind: str) -> QuerySet[ReportTemplate]:
    """Every version, newest first (the narrative of an official report is not a secret)."""
    return ReportTemplate.objects.filter(kind=kind).select_related("created_by").order_by("-version")


def narrative_body(*, user: Actor, kind: str) -> str:
    """The text in use: the newest saved version, else the one tiendo ships."""
    latest = report_template_versions(user=user, kind=kind).first()
    return latest.body if latest is not None else DEFAULTS[ReportTemplate.Kind(kind)]


def signing_certificate_active() -> SigningCertificate | None:
    return SigningCertificate.objects.filter(active=True).order_by("-uploaded_at").first()


def signing_certificates(*, user: Actor) -> QuerySet[SigningCertificate]:
    return SigningCertificate.objects.select_related("uploaded_by").order_by("-uploaded_at")


def trust_roots() -> list[bytes]:
    """Authorities trusted when verifying: the chain in the active certificate's PKCS#12 file, and the
    PEM files named in TIENDO_TRUSTED_CA_FILES (comma-separated; e.g. the national root the
    province's CA chains to). A deactivated certificate's chain is no longer trusted."""
    roots: list[bytes] = []
    active = signing_certificate_active()
    if active is not None and active.chain_pem:
        roots.append(active.chain_pem.encode())  # a PEM bundle: signing reads every certificate in it
    for path in filter(None, (p.strip() for p in os.environ.get("TIENDO_TRUSTED_CA_FILES", "").split(","))):
        try:
            roots.append(Path(path).read_bytes())
        except OSError:
            raise ApplicationError(
                _("Không đọc được tệp chứng thư tin cậy %(path)s (TIENDO_TRUSTED_CA_FILES)") % {"path": path}
            ) from None
    return roots
