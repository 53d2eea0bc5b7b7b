"""Writes to plans. `plan_load` is the one way a plan enters tiendo."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from tiendo.core.db_timeouts import Bound, import_bounded, import_limits_set
from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.types import Actor
from tiendo.core.writer import AuditedWriter, ChangeReport
from tiendo.core.yamlfile import YamlDocument
from tiendo.orgunits.models import OrgUnit, UnitGroup
from tiendo.orgunits.selectors import resolve_unit_references, user_is_office_admin
from tiendo.plans.models import Indicator, IndicatorGroup, Plan, Responsibility, StatedVerdict, Task, TaskItem
from tiendo.plans.planfile import IndicatorEntry, PlanFile, PlanHeader, parse_plan_file
from tiendo.reporting.models import DataElement, DataValue
from tiendo.reporting.periods import parse_period

SHIPPED_PLANS_DIR = Path(__file__).resolve().parent / "data"
SHIPPED_PLANS = ["quang-ngai-2025.yaml", "quang-ngai-2026.yaml"]  # in load order (2026 refers to 2025)


@dataclass
class PlanLoadReport(ChangeReport):
    plan: Plan | None = None

    def summary(self) -> str:
        return f"{self.plan.code if self.plan else '?'}: {super().summary()}"


Units = dict[str, OrgUnit]
Groups = dict[str, UnitGroup]


def _check_semantics(document: YamlDocument, plan_file: PlanFile) -> list[str]:
    """Checks beyond the schema: references, uniqueness, consistency. Returns every problem."""
    units = {u.code: u for u in OrgUnit.objects.all()}
    groups = {g.code: g for g in UnitGroup.objects.all()}
    return [
        *_check_header(document, plan_file.plan),
        *_check_groups(document, plan_file, units=units, groups=groups),
        *_check_followers(document, plan_file),
        *_check_tasks(document, plan_file, units=units, groups=groups),
    ]


def _check_header(document: YamlDocument, header: PlanHeader) -> list[str]:
    errors: list[str] = []
    if not OrgUnit.objects.filter(code=str(header.province), kind=OrgUnit.Kind.PROVINCE).exists():
        message = _("tỉnh %(code)s chưa được nạp (tiendo load-units --province %(code)s)")
        errors.append(document.error(("plan", "province"), message % {"code": header.province}))
    if header.ends_on < header.starts_on:
        errors.append(document.error(("plan", "ends_on"), _("phải sau ngày bắt đầu")))
    return errors


def _check_groups(document: YamlDocument, plan_file: PlanFile, *, units: Units, groups: Groups) -> list[str]:
    errors: list[str] = []
    seen_groups: set[str] = set()
    for g_index, group in enumerate(plan_file.groups):
        if group.code in seen_groups:
            errors.append(document.error(("groups", g_index, "code"), _("trùng mã nhóm")))
        seen_groups.add(group.code)
        seen_numbers: set[str] = set()
        for i_index, entry in enumerate(group.indicators):
            loc = ("groups", g_index, "indicators", i_index)
            if entry.number in seen_numbers:
                message = _("trùng số thứ tự %(number)s trong nhóm") % {"number": entry.number}
                errors.append(document.error((*loc, "number"), message))
            seen_numbers.add(entry.number)
            errors.extend(
                _check_indicator(
                    document, loc, entry, units=units, groups=groups, plan_year=plan_file.plan.year
                )
            )
    return errors


def _check_followers(document: YamlDocument, plan_file: PlanFile) -> list[str]:
    """An indicator another plan takes as its baseline cannot leave the file."""
    kept = {(g.code, i.number) for g in plan_file.groups for i in g.indicators}
    followers = Indicator.objects.filter(baseline_indicator__plan__code=plan_file.plan.code).select_related(
        "plan", "group", "baseline_indicator__group"
    )
    errors: list[str] = []
    for follower in followers:
        used = follower.baseline_indicator
        if used is not None and (used.group.code, used.number) not in kept:
            message = _(
                "không thể xóa chỉ tiêu %(used)s: chỉ tiêu %(follower)s của kế hoạch %(plan)s dùng nó làm số liệu gốc"
            ) % {"used": used.label, "follower": follower.label, "plan": follower.plan.code}
            errors.append(document.error(("groups",), message))
    return errors


def _check_tasks(document: YamlDocument, plan_file: PlanFile, *, units: Units, groups: Groups) -> list[str]:
    errors: list[str] = []
    seen_tasks: set[str] = set()
    for t_index, task in enumerate(plan_file.tasks):
        if task.number in seen_tasks:
            errors.append(document.error(("tasks", t_index, "number"), _("trùng số nhiệm vụ")))
        seen_tasks.add(task.number)
        errors.extend(_unknown_units(document, ("tasks", t_index, "owners"), task.owners, units, groups))
    return errors


def _unknown_units(
    document: YamlDocument, loc: tuple[str | int, ...], refs: list[str], units: Units, groups: Groups
) -> list[str]:
    """One error for each reference to a unit or group tiendo does not know."""
    resolved = resolve_unit_references(refs, units=units, groups=groups)
    return [
        document.error((*loc, index), _("đơn vị không xác định: %(ref)s") % {"ref": ref})
        for index, (ref, holder) in enumerate(zip(refs, resolved, strict=True))
        if holder is None
    ]


def _check_indicator(
    document: YamlDocument,
    loc: tuple[str | int, ...],
    entry: IndicatorEntry,
    *,
    units: Units,
    groups: Groups,
    plan_year: int,
) -> list[str]:
    errors: list[str] = []
    if entry.direction == "milestone" and entry.target_value is not None:
        errors.append(document.error((*loc, "target_value"), _("phải để trống (null) với chỉ tiêu mốc")))
    if entry.direction != "milestone" and entry.target_value is None:
        errors.append(document.error((*loc, "target_value"), _("bắt buộc với chỉ tiêu định lượng")))
    for role in ("lead", "co_lead"):
        errors.extend(_unknown_units(document, (*loc, role), getattr(entry, role), units, groups))
    if entry.baseline is not None and _baseline_query(entry).count() != 1:
        message = _(
            "không tìm thấy chỉ tiêu %(group)s.%(number)s của kế hoạch %(plan)s (nạp kế hoạch đó trước)"
        )
        baseline = {
            "group": entry.baseline.group,
            "number": entry.baseline.number,
            "plan": entry.baseline.plan,
        }
        errors.append(document.error((*loc, "baseline"), message % baseline))
    if entry.result is not None:
        errors.extend(_check_result_period(document, loc, entry.result.period, plan_year=plan_year))
    return errors


def _check_result_period(
    document: YamlDocument, loc: tuple[str | int, ...], identifier: str, *, plan_year: int
) -> list[str]:
    try:
        period = parse_period(identifier)
    except ApplicationError as exc:
        return [document.error((*loc, "result", "period"), str(exc))]
    if period.end.year != plan_year:
        message = _("kỳ phải thuộc năm %(year)s của kế hoạch") % {"year": plan_year}
        return [document.error((*loc, "result", "period"), message)]
    return []


def _baseline_query(entry: IndicatorEntry) -> QuerySet[Indicator]:
    assert entry.baseline is not None
    return Indicator.objects.filter(
        plan__code=entry.baseline.plan, group__code=entry.baseline.group, number=entry.baseline.number
    )


def plan_load(*, path: Path, actor: Actor | None = None, actor_label: str = "") -> PlanLoadReport:
    """Validate a plan file completely, then create or update the plan in one transaction.

    A file with any problem raises FileValidationError listing all of them and writes nothing.
    Loading the same file again changes nothing; an edited file updates in place, audited.
    `actor` None means the command line (an operator on the server); a user must be the CĐS office.
    """
    if actor is not None and not user_is_office_admin(actor):
        raise PermissionDeniedError(_("Chỉ Văn phòng CĐS được nạp kế hoạch"))
    document, plan_file = parse_plan_file(path)
    errors = _check_semantics(document, plan_file)
    if errors:
        document.fail(errors)
    bound: Bound = "command" if actor is None else "request"
    try:
        with import_bounded(bound), transaction.atomic():
            import_limits_set(bound)  # statement and lock timeouts (issue 10)
            return _write_plan(
                plan_file, path=path, actor=actor, actor_label=actor_label or "tiendo load-plan"
            )
    except DjangoValidationError as exc:  # a limit the schema missed: still a clear, complete refusal
        problems = [f"{field}: {'; '.join(messages)}" for field, messages in exc.message_dict.items()]
        document.fail([f"{path.name}: {problem}" for problem in problems])
        raise AssertionError("unreachable") from None


def _write_plan(plan_file: PlanFile, *, path: Path, actor: Actor | None, actor_label: str) -> PlanLoadReport:
    header = plan_file.plan
    province = OrgUnit.objects.get(code=str(header.province))
    units = {u.code: u for u in OrgUnit.objects.all()}
    groups_by_code = {g.code: g for g in UnitGroup.objects.all()}
    report = PlanLoadReport(plan=None)
    writer = AuditedWriter(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label,
        report=report,
    )
    plan = writer.upsert(
        Plan,
        lookup={"code": header.code},
        values={
            "year": header.year,
            "title": header.title,
            "title_en": header.title_en,
            "symbol": header.symbol,
            "issuer": header.issuer,
            "issued_on": header.issued_on,
            "starts_on": header.starts_on,
            "ends_on": header.ends_on,
            "province": province,
            "source": header.source,
            "source_file": path.name,
        },
    )
    report.plan = plan
    _write_groups(
        writer, plan=plan, plan_file=plan_file, province=province, units=units, groups=groups_by_code
    )
    _write_tasks(writer, plan=plan, plan_file=plan_file, units=units, groups=groups_by_code)
    return report


def _write_groups(
    writer: AuditedWriter, *, plan: Plan, plan_file: PlanFile, province: OrgUnit, units: Units, groups: Groups
) -> None:
    """The indicator groups and their indicators as the file lists them; the others go."""
    kept_indicators: set[int] = set()
    for g_sort, group_entry in enumerate(plan_file.groups):
        group = writer.upsert(
            IndicatorGroup,
            lookup={"plan": plan, "code": group_entry.code},
            values={"name": group_entry.name, "name_en": group_entry.name_en, "sort": g_sort},
        )
        for i_sort, entry in enumerate(group_entry.indicators):
            indicator = _write_indicator(
                writer, plan=plan, group=group, entry=entry, sort=i_sort, province=province
            )
            kept_indicators.add(indicator.pk)
            _write_responsibilities(
                writer,
                owner={"indicator": indicator},
                wanted=[("lead", r) for r in entry.lead] + [("co_lead", r) for r in entry.co_lead],
                units=units,
                groups=groups,
            )
    for stale in Indicator.objects.filter(plan=plan).exclude(pk__in=kept_indicators):
        _delete_indicator(writer, stale)
    for stale_group in IndicatorGroup.objects.filter(plan=plan).exclude(
        code__in=[g.code for g in plan_file.groups]
    ):
        writer.delete(stale_group)


def _write_tasks(
    writer: AuditedWriter, *, plan: Plan, plan_file: PlanFile, units: Units, groups: Groups
) -> None:
    """The plan's tasks with their items and owners as the file lists them; the others go."""
    kept_tasks: set[int] = set()
    for t_sort, task_entry in enumerate(plan_file.tasks):
        task = writer.upsert(
            Task,
            lookup={"plan": plan, "number": task_entry.number},
            values={
                "title": task_entry.title,
                "owners_basis": task_entry.owners_basis,
                "due_on": task_entry.due_on,
                "sort": t_sort,
            },
        )
        kept_tasks.add(task.pk)
        _write_task_items(writer, task=task, texts=task_entry.items)
        _write_responsibilities(
            writer,
            owner={"task": task},
            wanted=[("owner", r) for r in task_entry.owners],
            units=units,
            groups=groups,
        )
    for stale_task in Task.objects.filter(plan=plan).exclude(pk__in=kept_tasks):
        writer.delete(stale_task)


def _write_indicator(
    writer: AuditedWriter,
    *,
    plan: Plan,
    group: IndicatorGroup,
    entry: IndicatorEntry,
    sort: int,
    province: OrgUnit,
) -> Indicator:
    element = writer.upsert(
        DataElement,
        lookup={"code": f"{plan.code}.{group.code}.{entry.number}"},
        values={
            "name": entry.name,
            "name_en": entry.name_en,
            "value_type": DataElement.ValueType.PERCENTAGE
            if entry.measure == "%"
            else DataElement.ValueType.NUMBER,
            "measure": entry.measure,
            "aggregation": DataElement.Aggregation.NONE,
        },
    )
    baseline = None
    if entry.baseline is not None:
        baseline = _baseline_query(entry).get()
    indicator = writer.upsert(
        Indicator,
        lookup={"plan": plan, "group": group, "number": entry.number},
        values={
            "sort": sort,
            "name": entry.name,
            "name_en": entry.name_en,
            "measure": entry.measure,
            "target_text": entry.target,
            "target_value": entry.target_value,
            "direction": entry.direction,
            "lead_text": entry.lead_text,
            "baseline_indicator": baseline,
            "own_element": element,  # the formula (numerator, denominator) belongs to the forms file
            "note": entry.note or "",
        },
    )
    _write_stated_result(
        writer, plan=plan, indicator=indicator, element=element, entry=entry, province=province
    )
    return indicator


def _write_stated_result(
    writer: AuditedWriter,
    *,
    plan: Plan,
    indicator: Indicator,
    element: DataElement,
    entry: IndicatorEntry,
    province: OrgUnit,
) -> None:
    """The result the plan states (a data value from the document and its verdict), or none."""
    source = plan.source or plan.title
    stated_values = DataValue.objects.filter(
        data_element=element, unit=province, source=DataValue.Source.DOCUMENT
    )
    stated_verdicts = StatedVerdict.objects.filter(indicator=indicator, stated_by__isnull=True, source=source)
    if entry.result is not None:
        writer.upsert(
            DataValue,
            lookup={"data_element": element, "unit": province, "period": entry.result.period},
            values={
                "value": entry.result.value,
                "text_value": entry.result.text,
                "source": DataValue.Source.DOCUMENT,
                "source_detail": source,
                "comment": entry.note or "",
                "is_simulated": False,
                "stored_by": None,  # the document, not whoever last edited the row by hand
                "stored_by_label": writer.actor_label,
            },
        )
        hand_set = StatedVerdict.objects.filter(
            indicator=indicator, period=entry.result.period, stated_by__isnull=False
        ).exists()
        if not hand_set:  # a verdict a person set (with who and why) is never overwritten by a reload
            writer.upsert(
                StatedVerdict,
                lookup={"indicator": indicator, "period": entry.result.period},
                values={"verdict": entry.result.verdict, "source": source, "reason": entry.result.text},
            )
        stated_values = stated_values.exclude(period=entry.result.period)
        stated_verdicts = stated_verdicts.exclude(period=entry.result.period)
    # a result the file no longer states is withdrawn (values from reports or people are kept)
    for stale in [*stated_values, *stated_verdicts]:
        writer.delete(stale)


def _delete_indicator(writer: AuditedWriter, indicator: Indicator) -> None:
    """Remove an indicator the file no longer lists, auditing each row that goes with it."""
    element = indicator.own_element
    for row in [*indicator.responsibilities.all(), *indicator.stated_verdicts.all()]:
        writer.delete(row)
    writer.delete(indicator)
    if element is None:
        return
    for value in DataValue.objects.filter(data_element=element, source=DataValue.Source.DOCUMENT):
        writer.delete(value)
    in_use = (
        DataValue.objects.filter(data_element=element).exists()
        or Indicator.objects.filter(
            Q(own_element=element) | Q(numerator=element) | Q(denominator=element)
        ).exists()
    )
    if not in_use:
        writer.delete(element)


def _write_responsibilities(
    writer: AuditedWriter,
    *,
    owner: dict[str, Any],
    wanted: list[tuple[str, str]],
    units: Units,
    groups: Groups,
) -> None:
    current = list(Responsibility.objects.filter(**owner).order_by("role", "sort"))
    desired = []
    for sort, (role, ref) in enumerate(wanted):
        holder = resolve_unit_references([ref], units=units, groups=groups)[0]
        desired.append(
            (
                role,
                holder if isinstance(holder, OrgUnit) else None,
                holder if isinstance(holder, UnitGroup) else None,
                sort,
            )
        )
    current_keys = [(r.role, r.unit_id, r.group_id, r.sort) for r in current]
    desired_keys = [(role, u.pk if u else None, g.pk if g else None, sort) for role, u, g, sort in desired]
    if sorted(current_keys, key=str) == sorted(desired_keys, key=str):
        return
    for responsibility in current:
        writer.delete(responsibility)
    for role, unit, group, sort in desired:
        writer.upsert(
            Responsibility,
            lookup={**owner, "role": role, "unit": unit, "group": group, "sort": sort},
            values={},
        )


def _write_task_items(writer: AuditedWriter, *, task: Task, texts: list[str]) -> None:
    current = list(task.items.order_by("sort"))
    if [item.text for item in current] == texts:
        return
    for item in current:
        writer.delete(item)
    for sort, text in enumerate(texts):
        writer.upsert(TaskItem, lookup={"task": task, "sort": sort}, values={"text": text})
