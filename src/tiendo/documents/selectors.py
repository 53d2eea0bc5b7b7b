from __future__ import annotations

from django.db.models import QuerySet

from tiendo.core.types import Actor
from tiendo.documents.models import ReportTemplate
from tiendo.documents.narrative import DEFAULT_EVALUATION_REPORT

DEFAULTS = {ReportTemplate.Kind.EVALUATION_REPORT: DEFAULT_EVALUATION_REPORT}


def report_template_versions(*, user: Actor, kind: str) -> QuerySet[ReportTemplate]:
    """Every version, newest first (the narrative of an official report is not a secret)."""
    return ReportTemplate.objects.filter(kind=kind).select_related("created_by").order_by("-version")


def narrative_body(*, user: Actor, kind: str) -> str:
    """The text in use: the newest saved version, else the one tiendo ships."""
    latest = report_template_versions(user=user, kind=kind).first()
    return latest.body if latest is not None else DEFAULTS[ReportTemplate.Kind(kind)]
