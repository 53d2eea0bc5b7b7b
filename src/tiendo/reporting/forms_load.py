"""Data elements, forms and their rules from a forms file: checked whole, then written.

The file's `indicator_sources` section points indicators (plans) at these elements, and plans sits
above reporting, so the complete `tiendo load-forms` lives in tiendo.plans.indicator_sources: it
calls `forms_check` and `forms_write` here and does its own part in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from tiendo.core.writer import AuditedWriter, ChangeReport
from tiendo.core.yamlfile import YamlDocument
from tiendo.orgunits.models import OrgUnit, UnitGroup
from tiendo.orgunits.selectors import resolve_unit_references
from tiendo.reporting import expressions
from tiendo.reporting.formsfile import FormEntry, FormsFile
from tiendo.reporting.models import DataElement, DataSet, DataSetElement, DataSetSection, ValidationRule

SHIPPED_FORMS = Path(__file__).resolve().parent / "data" / "forms-2026.yaml"

Loc = tuple[str | int, ...]


class FormsLoadReport(ChangeReport):
    pass


@dataclass
class FormsContext:
    """What the checks of a forms file look things up in: the file's and the database's codes."""

    document: YamlDocument
    known_elements: set[str]
    units: dict[str, OrgUnit]
    groups: dict[str, UnitGroup]
    form_codes: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, document: YamlDocument, forms_file: FormsFile) -> FormsContext:
        declared = {e.code for e in forms_file.data_elements}
        return cls(
            document=document,
            known_elements=declared | set(DataElement.objects.values_list("code", flat=True)),
            units={u.code: u for u in OrgUnit.objects.all()},
            groups={g.code: g for g in UnitGroup.objects.all()},
            form_codes={f.code for f in forms_file.forms},
        )

    def error(self, loc: Loc, message: str) -> None:
        self.errors.append(self.document.error(loc, message))

    def unit_known(self, ref: str) -> bool:
        return resolve_unit_references([ref], units=self.units, groups=self.groups)[0] is not None

    def element(self, loc: Loc, code: str) -> None:
        """`code` names a data element of the file or of the database."""
        if code not in self.known_elements:
            self.error(loc, _("chỉ số chưa khai báo: %(code)s") % {"code": code})


def forms_check(context: FormsContext, forms_file: FormsFile) -> None:
    """Every problem of the elements and forms, each with its line, into `context.errors`."""
    seen: set[str] = set()
    for index, element in enumerate(forms_file.data_elements):
        if element.code in seen:
            context.error(("data_elements", index, "code"), _("trùng mã"))
        seen.add(element.code)
    form_codes: set[str] = set()
    for f_index, form in enumerate(forms_file.forms):
        loc: Loc = ("forms", f_index)
        if form.code in form_codes:
            context.error((*loc, "code"), _("trùng mã biểu mẫu"))
        form_codes.add(form.code)
        _check_form_units(context, form, loc)
        in_form = _check_form_elements(context, form, loc)
        _check_form_rules(context, form, loc, in_form)


def _check_form_units(context: FormsContext, form: FormEntry, loc: Loc) -> None:
    for r_index, ref in enumerate(form.assigned_to):
        if not context.unit_known(ref):
            context.error((*loc, "assigned_to", r_index), _("đơn vị không xác định: %(ref)s") % {"ref": ref})
    if form.reviewer and form.reviewer not in context.units:
        context.error((*loc, "reviewer"), _("đơn vị không xác định: %(ref)s") % {"ref": form.reviewer})


def _check_form_elements(context: FormsContext, form: FormEntry, loc: Loc) -> set[str]:
    in_form: set[str] = set()
    for s_index, section in enumerate(form.sections):
        for e_index, entry in enumerate(section.elements):
            e_loc = (*loc, "sections", s_index, "elements", e_index)
            context.element((*e_loc, "element"), entry.element)
            if entry.element in in_form:
                context.error(
                    (*e_loc, "element"),
                    _("chỉ số lặp lại trong biểu: %(code)s") % {"code": entry.element},
                )
            in_form.add(entry.element)
            if entry.min is not None and entry.max is not None and entry.min > entry.max:
                context.error((*e_loc, "min"), _("min lớn hơn max"))
    return in_form


def _check_form_rules(context: FormsContext, form: FormEntry, loc: Loc, in_form: set[str]) -> None:
    rule_codes: set[str] = set()
    for r_index, rule in enumerate(form.rules):
        r_loc = (*loc, "rules", r_index)
        if rule.code in rule_codes:
            context.error((*r_loc, "code"), _("trùng mã quy tắc"))
        rule_codes.add(rule.code)
        try:
            unknown = expressions.names(rule.expression) - in_form
        except expressions.ExpressionError as exc:
            context.error((*r_loc, "expression"), str(exc))
            continue
        if unknown:
            context.error(
                (*r_loc, "expression"),
                _("chỉ số không có trong biểu: %(codes)s") % {"codes": ", ".join(sorted(unknown))},
            )


def forms_write(forms_file: FormsFile, *, writer: AuditedWriter, path: Path) -> dict[str, DataElement]:
    """Create or update the elements and forms (inside the caller's transaction); the elements by code."""
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
        _write_assignment(dataset, form, writer=writer, units=units, groups=groups)
        _write_sections(dataset, form, writer=writer, elements=elements)
        _write_rules(dataset, form, writer=writer)
    return elements


def _write_assignment(
    dataset: DataSet,
    form: FormEntry,
    *,
    writer: AuditedWriter,
    units: dict[str, OrgUnit],
    groups: dict[str, UnitGroup],
) -> None:
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


def _write_sections(
    dataset: DataSet, form: FormEntry, *, writer: AuditedWriter, elements: dict[str, DataElement]
) -> None:
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
    for stale_section in DataSetSection.objects.filter(dataset=dataset).exclude(pk__in=kept_sections):
        writer.delete(stale_section)


def _write_rules(dataset: DataSet, form: FormEntry, *, writer: AuditedWriter) -> None:
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
