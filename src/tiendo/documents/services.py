from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from tiendo.core.exceptions import PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.documents.models import ReportTemplate
from tiendo.documents.narrative import render_narrative
from tiendo.documents.report import evaluation_report
from tiendo.orgunits.selectors import user_is_office_admin
from tiendo.plans.models import Plan


def _check_against_a_plan(body: str) -> None:
    """Render the text once with real figures: an unknown placeholder fails here, not in a report."""
    plan = Plan.objects.order_by("-year", "code").first()
    if plan is None:
        return
    render_narrative(body, evaluation_report(user=AnonymousUser(), plan=plan))


@transaction.atomic
def report_template_save(*, actor: Actor, kind: str, body: str, note: str = "") -> ReportTemplate:
    """Keep a new version of a report's narrative (the CĐS office only), after checking it."""
    if not user_is_office_admin(actor):
        raise PermissionDeniedError(
            "Chỉ Văn phòng CĐS sửa mẫu báo cáo / only the CĐS office edits report templates", field="body"
        )
    kind = ReportTemplate.Kind(kind).value
    _check_against_a_plan(body)
    # the kind's versions locked (PostgreSQL refuses FOR UPDATE with an aggregate); two first
    # versions at once meet the unique (kind, version) constraint instead
    versions = ReportTemplate.objects.select_for_update().filter(kind=kind).values_list("version", flat=True)
    version = max(versions, default=0) + 1
    template = ReportTemplate.objects.create(
        kind=kind,
        version=version,
        body=body,
        note=note[:300],
        created_by=actor if isinstance(actor, User) else None,
    )
    audit_record(
        actor=actor,
        action="reporttemplate.save",
        obj=template,
        changes={"kind": kind, "version": version, "note": template.note},
    )
    return template


def report_template_restore(*, actor: Actor, template: ReportTemplate) -> ReportTemplate:
    """An older version becomes the newest again (a new version: the history stays whole)."""
    return report_template_save(
        actor=actor,
        kind=template.kind,
        body=template.body,
        note=f"khôi phục bản {template.version} / restored",
    )
