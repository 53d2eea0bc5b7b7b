"""`tiendo load-forms FILE`: a forms file whole — data elements, forms and rules (reporting) and the
`indicator_sources` that point a plan's indicators at them (numerator, denominator, factor).

Indicators are plans' and plans sits above reporting, so this part lives here; both parts are checked
before anything is written (all or nothing, every problem with its line) and written in one
transaction."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import Field

from tiendo.core.db_timeouts import Bound, import_bounded, import_limits_set
from tiendo.core.exceptions import PermissionDeniedError
from tiendo.core.types import Actor
from tiendo.core.writer import AuditedWriter
from tiendo.core.yamlfile import StrictModel
from tiendo.orgunits.selectors import user_is_office_admin
from tiendo.plans.models import Indicator, Plan
from tiendo.reporting.forms_load import FormsContext, FormsLoadReport, forms_check, forms_write
from tiendo.reporting.formsfile import ElementCode, FormsFile, Number, parse_forms_file
from tiendo.reporting.models import DataElement, DataSet

__all__ = ["FormsFileWithSources", "IndicatorSources", "SourceEntry", "forms_load"]


class SourceEntry(StrictModel):
    indicator: str = Field(pattern=r"^[IVX]+\.[0-9A-Za-z]+$")
    source: Literal["form", "feed", "manual"]
    form: str | None = None
    feed: str | None = Field(default=None, max_length=40)
    numerator: ElementCode
    denominator: str | None = Field(default=None, max_length=100)
    factor: Number = Decimal(1)
    note: str = ""


class IndicatorSources(StrictModel):
    plan: str
    indicators: list[SourceEntry] = []


class FormsFileWithSources(FormsFile):
    indicator_sources: IndicatorSources | None = None


def forms_load(*, path: Path, actor: Actor | None = None) -> FormsLoadReport:
    """Validate the whole file, then create or update elements, forms and sources in one transaction."""
    if actor is not None and not user_is_office_admin(actor):
        raise PermissionDeniedError(_("Chỉ Văn phòng CĐS được nạp biểu mẫu"))
    document, forms_file = parse_forms_file(path, FormsFileWithSources)
    context = FormsContext.of(document, forms_file)
    forms_check(context, forms_file)
    if forms_file.indicator_sources is not None:
        sources_check(context, forms_file.indicator_sources)
    if context.errors:
        document.fail(context.errors)
    report = FormsLoadReport()
    writer = AuditedWriter(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label="tiendo load-forms",
        report=report,
    )
    bound: Bound = "command" if actor is None else "request"
    with import_bounded(bound), transaction.atomic():
        import_limits_set(bound)  # statement and lock timeouts (issue 10)
        elements = forms_write(forms_file, writer=writer, path=path)
        if forms_file.indicator_sources is not None:
            sources_write(forms_file.indicator_sources, writer=writer, elements=elements)
    return report


def sources_check(context: FormsContext, sources: IndicatorSources) -> None:
    """Every problem of the indicator sources, each with its line, into `context.errors`."""
    plan = Plan.objects.filter(code=sources.plan).first()
    if plan is None:
        context.error(
            ("indicator_sources", "plan"), _("kế hoạch chưa được nạp: %(plan)s") % {"plan": sources.plan}
        )
    labels = (
        {f"{i.group.code}.{i.number}" for i in Indicator.objects.filter(plan=plan).select_related("group")}
        if plan
        else set()
    )
    all_forms = context.form_codes | set(DataSet.objects.values_list("code", flat=True))
    seen_labels: set[str] = set()
    for index, source in enumerate(sources.indicators):
        loc = ("indicator_sources", "indicators", index)
        if plan is not None and source.indicator not in labels:
            context.error(
                (*loc, "indicator"),
                _("không có chỉ tiêu này trong kế hoạch: %(indicator)s") % {"indicator": source.indicator},
            )
        if source.indicator in seen_labels:
            context.error((*loc, "indicator"), _("khai báo hai lần"))
        seen_labels.add(source.indicator)
        if source.source == "form" and source.form not in all_forms:
            context.error((*loc, "form"), _("biểu mẫu không xác định: %(form)s") % {"form": source.form})
        if source.source == "feed" and not source.feed:
            context.error((*loc, "feed"), _("bắt buộc với nguồn feed"))
        context.element((*loc, "numerator"), source.numerator)
        _check_denominator(context, source, loc)


def _check_denominator(context: FormsContext, source: SourceEntry, loc: tuple[str | int, ...]) -> None:
    denominator = source.denominator
    if denominator and denominator.startswith("units:"):
        ref = denominator.removeprefix("units:")
        if not context.unit_known(ref):
            context.error((*loc, "denominator"), _("đơn vị không xác định: %(ref)s") % {"ref": ref})
    elif denominator:
        context.element((*loc, "denominator"), denominator)


def sources_write(
    sources: IndicatorSources, *, writer: AuditedWriter, elements: dict[str, DataElement]
) -> None:
    """Point each indicator at its form or feed, numerator, denominator and factor."""
    plan = Plan.objects.select_related("province").get(code=sources.plan)
    indicators = {
        f"{i.group.code}.{i.number}": i for i in Indicator.objects.filter(plan=plan).select_related("group")
    }
    forms = {d.code: d for d in DataSet.objects.all()}
    for source in sources.indicators:
        indicator = indicators[source.indicator]
        denominator = source.denominator or ""
        per_units = denominator.startswith("units:")
        writer.upsert(
            Indicator,
            lookup={"pk": indicator.pk},
            values={
                "source": source.source,
                "source_form": forms.get(source.form) if source.form else None,
                "source_feed": source.feed or "",
                "source_note": source.note,
                "numerator": elements[source.numerator],
                "denominator": elements.get(denominator) if denominator and not per_units else None,
                "denominator_units": denominator if per_units else "",
                "factor": source.factor if source.factor is not None else Decimal(1),
            },
        )
