"""`tiendo load-forms FILE`: data elements, forms and indicator sources from one YAML file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from tiendo.core.exceptions import PermissionDeniedError
from tiendo.core.types import Actor
from tiendo.core.writer import AuditedWriter, ChangeReport
from tiendo.core.yamlfile import YamlDocument
from tiendo.orgunits.models import OrgUnit, UnitGroup
from tiendo.orgunits.selectors import resolve_unit_references, user_is_office_admin
from tiendo.plans.models import Indicator, Plan
from tiendo.reporting import expressions
from tiendo.reporting.formsfile import FormsFile, parse_forms_file
from tiendo.reporting.models import DataElement, DataSet, DataSetElement, DataSetSection, ValidationRule

SHIPPED_FORMS = Path(__file__).resolve().parent / "data" / "forms-2026.yaml"


class FormsLoadReport(ChangeReport):
    pass


def _check(document: YamlDocument, forms_file: FormsFile) -> list[str]:
    errors: list[str] = []
    declared = {e.code for e in forms_file.data_elements}
    known_elements = declared | set(DataElement.objects.values_list("code", flat=True))
    units = {u.code: u for u in OrgUnit.objects.all()}
    groups = {g.code: g for g in UnitGroup.objects.all()}
    seen: set[str] = set()
    for index, element in enumerate(forms_file.data_elements):
        if element.code in seen:
            errors.append(document.error(("data_elements", index, "code"), "trùng mã / duplicate code"))
        seen.add(element.code)
    form_codes: set[str] = set()
    for f_index, form in enumerate(forms_file.forms):
        loc = ("forms", f_index)
        if form.code in form_codes:
            errors.append(document.error((*loc, "code"), "trùng mã biểu mẫu / duplicate form code"))
        form_codes.add(form.code)
        for r_index, (ref, holder) in enumerate(
            zip(
                form.assigned_to,
                resolve_unit_references(form.assigned_to, units=units, groups=groups),
                strict=True,
            )
        ):
            if holder is None:
                errors.append(
                    document.error(
                        (*loc, "assigned_to", r_index), f"đơn vị không xác định / unknown unit: {ref}"
                    )
                )
        if form.reviewer and form.reviewer not in units:
            errors.append(
                document.error((*loc, "reviewer"), f"đơn vị không xác định / unknown unit: {form.reviewer}")
            )
        in_form: set[str] = set()
        for s_index, section in enumerate(form.sections):
            for e_index, entry in enumerate(section.elements):
                e_loc = (*loc, "sections", s_index, "elements", e_index)
                if entry.element not in known_elements:
                    errors.append(
                        document.error(
                            (*e_loc, "element"),
                            f"chỉ số chưa khai báo / undeclared data element: {entry.element}",
                        )
                    )
                if entry.element in in_form:
                    errors.append(
                        document.error(
                            (*e_loc, "element"),
                            f"chỉ số lặp lại trong biểu / repeated in the form: {entry.element}",
                        )
                    )
                in_form.add(entry.element)
                if entry.min is not None and entry.max is not None and entry.min > entry.max:
                    errors.append(
                        document.error((*e_loc, "min"), "min lớn hơn max / min is greater than max")
                    )
        rule_codes: set[str] = set()
        for r_index, rule in enumerate(form.rules):
            r_loc = (*loc, "rules", r_index)
            if rule.code in rule_codes:
                errors.append(document.error((*r_loc, "code"), "trùng mã quy tắc / duplicate rule code"))
            rule_codes.add(rule.code)
            try:
                unknown = expressions.names(rule.expression) - in_form
            except expressions.ExpressionError as exc:
                errors.append(document.error((*r_loc, "expression"), str(exc)))
                continue
            if unknown:
                errors.append(
                    document.error(
                        (*r_loc, "expression"),
                        f"chỉ số không có trong biểu / not in this form: {', '.join(sorted(unknown))}",
                    )
                )
    sources = forms_file.indicator_sources
    if sources is not None:
        plan = Plan.objects.filter(code=sources.plan).first()
        if plan is None:
            errors.append(
                document.error(
                    ("indicator_sources", "plan"), f"kế hoạch chưa được nạp / plan not loaded: {sources.plan}"
                )
            )
        labels = (
            {
                f"{i.group.code}.{i.number}"
                for i in Indicator.objects.filter(plan=plan).select_related("group")
            }
            if plan
            else set()
        )
        all_forms = form_codes | set(DataSet.objects.values_list("code", flat=True))
        seen_labels: set[str] = set()
        for index, source in enumerate(sources.indicators):
            loc = ("indicator_sources", "indicators", index)
            if plan is not None and source.indicator not in labels:
                errors.append(
                    document.error(
                        (*loc, "indicator"),
                        f"không có chỉ tiêu này trong kế hoạch / no such indicator: {source.indicator}",
                    )
                )
            if source.indicator in seen_labels:
                errors.append(document.error((*loc, "indicator"), "khai báo hai lần / declared twice"))
            seen_labels.add(source.indicator)
            if source.source == "form" and source.form not in all_forms:
                errors.append(
                    document.error((*loc, "form"), f"biểu mẫu không xác định / unknown form: {source.form}")
                )
            if source.source == "feed" and not source.feed:
                errors.append(
                    document.error((*loc, "feed"), "bắt buộc với nguồn feed / required for a feed source")
                )
            if source.numerator not in known_elements:
                errors.append(
                    document.error(
                        (*loc, "numerator"),
                        f"chỉ số chưa khai báo / undeclared data element: {source.numerator}",
                    )
                )
            denominator = source.denominator
            if denominator and denominator.startswith("units:"):
                ref = denominator.removeprefix("units:")
                if resolve_unit_references([ref], units=units, groups=groups)[0] is None:
                    errors.append(
                        document.error((*loc, "denominator"), f"đơn vị không xác định / unknown unit: {ref}")
                    )
            elif denominator and denominator not in known_elements:
                errors.append(
                    document.error(
                        (*loc, "denominator"),
                        f"chỉ số chưa khai báo / undeclared data element: {denominator}",
                    )
                )
    return errors


def forms_load(*, path: Path, actor: Actor | None = None) -> FormsLoadReport:
    """Validate the whole file, then create or update elements, forms and sources in one transaction."""
    if actor is not None and not user_is_office_admin(actor):
        raise PermissionDeniedError(
            _("Chỉ Văn phòng CĐS được nạp biểu mẫu / Only the CĐS office loads forms")
        )
    document, forms_file = parse_forms_file(path)
    errors = _check(document, forms_file)
    if errors:
        document.fail(errors)
    report = FormsLoadReport()
    writer = AuditedWriter(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label="tiendo load-forms",
        report=report,
    )
    with transaction.atomic():
        _write(forms_file, writer=writer, path=path)
    return report


def _write(forms_file: FormsFile, *, writer: AuditedWriter, path: Path) -> None:
    for entry in forms_file.data_elements:
        writer.upsert(
            DataElement,
            lookup={"code": entry.code},
            values={
                "name": entry.name,
                "name_en": entry.name_en,
                "value_type": entry.value_type,
                "measure": entry.measure,
                "aggregation": entry.aggregation,
            },
        )
    elements = {e.code: e for e in DataElement.objects.all()}
    units = {u.code: u for u in OrgUnit.objects.all()}
    groups = {g.code: g for g in UnitGroup.objects.all()}
    for form in forms_file.forms:
        dataset = writer.upsert(
            DataSet,
            lookup={"code": form.code},
            values={
                "symbol": form.symbol,
                "title": form.title,
                "title_en": form.title_en,
                "period_type": form.period_type,
                "deadline_days": form.deadline_days,
                "working_days": form.working_days,
                "legal_basis": form.legal_basis,
                "reviewer_unit": units.get(form.reviewer) if form.reviewer else None,
                "assigned_refs": form.assigned_to,
                "source_file": path.name,
            },
        )
        assigned: set[OrgUnit] = set()
        for holder in resolve_unit_references(form.assigned_to, units=units, groups=groups):
            if isinstance(holder, UnitGroup):
                assigned |= set(holder.members.all())
            elif holder is not None:
                assigned.add(holder)
        current = set(dataset.units.all())
        if current != assigned:
            dataset.units.set(assigned)
            writer.record(
                dataset,
                "units",
                {
                    "added": sorted(u.code for u in assigned - current),
                    "removed": sorted(u.code for u in current - assigned),
                },
            )
        kept_sections, kept_elements = [], []
        for s_sort, section in enumerate(form.sections):
            section_row = writer.upsert(
                DataSetSection,
                lookup={"dataset": dataset, "sort": s_sort},
                values={"title": section.title, "title_en": section.title_en},
            )
            kept_sections.append(section_row.pk)
            for e_sort, entry in enumerate(section.elements):
                row = writer.upsert(
                    DataSetElement,
                    lookup={"dataset": dataset, "element": elements[entry.element]},
                    values={
                        "section": section_row,
                        "sort": e_sort,
                        "required": entry.required,
                        "min_value": entry.min,
                        "max_value": entry.max,
                    },
                )
                kept_elements.append(row.pk)
        for stale in DataSetElement.objects.filter(dataset=dataset).exclude(pk__in=kept_elements):
            writer.delete(stale)
        for stale in DataSetSection.objects.filter(dataset=dataset).exclude(pk__in=kept_sections):
            writer.delete(stale)
        kept_rules = []
        for r_sort, rule in enumerate(form.rules):
            row = writer.upsert(
                ValidationRule,
                lookup={"dataset": dataset, "code": rule.code},
                values={
                    "expression": rule.expression,
                    "severity": rule.severity,
                    "message": rule.message,
                    "message_en": rule.message_en,
                    "sort": r_sort,
                },
            )
            kept_rules.append(row.pk)
        for stale in ValidationRule.objects.filter(dataset=dataset).exclude(pk__in=kept_rules):
            writer.delete(stale)
    sources = forms_file.indicator_sources
    if sources is None:
        return
    plan = Plan.objects.select_related("province").get(code=sources.plan)
    indicators = {
        f"{i.group.code}.{i.number}": i for i in Indicator.objects.filter(plan=plan).select_related("group")
    }
    forms = {d.code: d for d in DataSet.objects.all()}
    for source in sources.indicators:
        indicator = indicators[source.indicator]
        denominator = source.denominator or ""
        writer.upsert(
            Indicator,
            lookup={"pk": indicator.pk},
            values={
                "source": source.source,
                "source_form": forms.get(source.form) if source.form else None,
                "source_feed": source.feed or "",
                "source_note": source.note,
                "numerator": elements[source.numerator],
                "denominator": elements.get(denominator)
                if denominator and not denominator.startswith("units:")
                else None,
                "denominator_units": denominator if denominator.startswith("units:") else "",
                "factor": source.factor if source.factor is not None else Decimal(1),
            },
        )
