"""The year's evaluation report as data: what the DOCX, the XLSX (and later the PDF) print.

Phụ lục I lists every indicator of the plan with its result and tiendo's verdict (the evaluation
the pages show); Phụ lục II lists the next year's plan of the same province, grouped I–V.
Everything is read through the selectors, as the acting user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone, translation
from django.utils.translation import gettext

from tiendo.analytics.evaluation import CHUA_DAT, DAT
from tiendo.analytics.selectors import IndicatorRow, indicator_rows
from tiendo.core.exceptions import ApplicationError
from tiendo.core.formatting import measured
from tiendo.core.types import Actor
from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Plan
from tiendo.plans.selectors import group_list

ISSUER = "Sở Khoa học và Công nghệ"  # the CĐS office (DESIGN §1)
ISSUER_SYMBOL = "SKHCN"


def province_name(unit: OrgUnit) -> str:
    """The province a unit belongs to, as a place name: "Quảng Ngãi" (the root of its path)."""
    root = (
        unit
        if unit.parent_id is None
        else OrgUnit.objects.filter(code=unit.path.strip("/").split("/")[0]).first()
    )
    return (root.name if root else "").removeprefix("Tỉnh ").removeprefix("Thành phố ")


@dataclass
class ResultRow:
    number: str
    name: str
    lead: str
    result: str  # as printed in the source document, else tiendo's figure with its measure
    value: float | None  # the number behind the result, when there is one
    measure: str
    target: str
    verdict: str  # Đạt, Chưa đạt, Chưa đến hạn, Thiếu số liệu
    verdict_code: str


@dataclass
class TargetRow:
    number: str
    name: str
    target: str
    lead: str


@dataclass
class Group:
    code: str
    name: str
    rows: list = field(default_factory=list)


@dataclass
class EvaluationReport:
    plan: Plan
    year: int
    next_plan: Plan | None
    province: str  # "Quảng Ngãi"
    results: list[Group]
    targets: list[Group]
    generated_at: datetime

    @property
    def result_rows(self) -> list[ResultRow]:
        return [row for group in self.results for row in group.rows]

    @property
    def target_rows(self) -> list[TargetRow]:
        return [row for group in self.targets for row in group.rows]

    def count(self, verdict_code: str) -> int:
        return sum(1 for row in self.result_rows if row.verdict_code == verdict_code)

    @property
    def dat(self) -> int:
        return self.count(DAT)

    @property
    def chua_dat(self) -> int:
        return self.count(CHUA_DAT)

    @property
    def symbol(self) -> str:
        return f"BC-{ISSUER_SYMBOL}"


def _result_text(row: IndicatorRow) -> str:
    evaluation = row.evaluation
    if evaluation.value_text:
        return evaluation.value_text
    if evaluation.value is not None:
        return measured(evaluation.value, row.indicator.measure)
    return ""


def evaluation_report(*, user: Actor, plan: Plan, year: int | None = None) -> EvaluationReport:
    """The report of `plan` for its year; Phụ lục II from the province's plan of the next year."""
    year = year or plan.year
    if year != plan.year:
        raise ApplicationError(
            gettext("Kế hoạch %(plan)s là của năm %(plan_year)s, không phải %(year)s")
            % {"plan": plan.code, "plan_year": plan.year, "year": year},
            field="year",
        )
    next_plan = Plan.objects.filter(province=plan.province, year=plan.year + 1).order_by("code").first()
    with translation.override("vi"):  # an official document is written in Vietnamese
        results = _results(user=user, plan=plan)
        targets = _targets(user=user, plan=next_plan) if next_plan else []
    province = province_name(plan.province)
    return EvaluationReport(plan, year, next_plan, province, results, targets, timezone.now())


def _results(*, user: Actor, plan: Plan) -> list[Group]:
    groups = {g.pk: Group(g.code, g.name) for g in group_list(user=user, plan=plan)}
    for row in indicator_rows(user=user, plan=plan):
        indicator = row.indicator
        value = row.evaluation.value
        groups[indicator.group_id].rows.append(
            ResultRow(
                number=indicator.number,
                name=indicator.name,
                lead=indicator.lead_text,
                result=_result_text(row),
                value=float(value) if value is not None else None,
                measure=indicator.measure,
                target=indicator.target_text,
                verdict=row.evaluation.label,
                verdict_code=row.evaluation.verdict,
            )
        )
    return [group for group in groups.values() if group.rows]


def _targets(*, user: Actor, plan: Plan) -> list[Group]:
    from tiendo.plans.selectors import indicator_list

    groups = {g.pk: Group(g.code, g.name) for g in group_list(user=user, plan=plan)}
    for indicator in indicator_list(user=user, plan=plan):
        groups[indicator.group_id].rows.append(
            TargetRow(indicator.number, indicator.name, indicator.target_text, indicator.lead_text)
        )
    return [group for group in groups.values() if group.rows]
