"""A short report on one commune or agency (a page for most communes): its indicators with verdicts and rank, its tasks, and
(for those who may see them) its overdue reports — to hand to a leader, or to the unit itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone, translation
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH

from tiendo.analytics.drilldown import UnitRank, unit_ranks
from tiendo.analytics.selectors import IndicatorRow, evaluate_indicators, indicators_fed_by
from tiendo.core.formatting import measured
from tiendo.core.types import Actor
from tiendo.documents.docx_writer import (
    add_cell_text,
    add_paragraph,
    add_table_with_header,
    header_block,
    new_document,
    saved,
    set_widths,
    title,
)
from tiendo.documents.report import ISSUER_SYMBOL, province_name
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import unit_can_view_private
from tiendo.plans.models import Task
from tiendo.plans.selectors import indicators_for_unit, plan_current, tasks_for_unit
from tiendo.reporting.selectors import Overdue, overdue_list

SMALL = 12


@dataclass
class UnitReport:
    unit: OrgUnit
    province: str
    year: int
    rows: list[IndicatorRow]
    ranks: list[UnitRank]  # where the unit stands on the indicators its data feed
    tasks: list[Task]
    overdue: list[Overdue] | None  # None: the reader may not see the unit's reports
    generated_at: datetime


def unit_report(*, user: Actor, unit: OrgUnit) -> UnitReport:
    plan = plan_current(user=user)
    indicators = list(indicators_for_unit(user=user, unit=unit, plan=plan)) if plan else []
    with translation.override("vi"):
        rows = evaluate_indicators(user=user, indicators=indicators)
    ranks = unit_ranks(unit, indicators_fed_by(user=user, unit=unit))
    today = timezone.localdate()
    overdue = None
    if unit_can_view_private(user, unit):  # the unit and those above it; others are told so, not "none"
        overdue = [o for o in overdue_list(user=user, today=today) if o.unit.pk == unit.pk]
    return UnitReport(
        unit=unit,
        province=province_name(plan.province if plan else unit),
        year=plan.year if plan else today.year,
        rows=rows,
        ranks=ranks,
        tasks=list(tasks_for_unit(user=user, unit=unit, plan=plan)) if plan else [],
        overdue=overdue,
        generated_at=timezone.now(),
    )


def render_unit_docx(report: UnitReport) -> bytes:
    """The report as DOCX; its text is Vietnamese whatever the reader's language (a document)."""
    document = new_document()
    with translation.override("vi"):
        header_block(
            document, province=report.province, symbol=f"BC-{ISSUER_SYMBOL}", year=report.generated_at.year
        )
        title(
            document,
            "BÁO CÁO",
            [f"Tình hình thực hiện chuyển đổi số năm {report.year}", f"của {report.unit.name}"],
        )
        _indicators_section(document, report.rows)
        _ranks_section(document, report.ranks)
        _tasks_section(document, report.tasks)
        _overdue_section(document, report.overdue)
        stamp = report.generated_at.astimezone().strftime("%H:%M ngày %d/%m/%Y")
        note(document, f"Số liệu tổng hợp từ hệ thống tiendo lúc {stamp}.")
    return saved(document)


def _indicators_section(document: DocxDocument, rows: list[IndicatorRow]) -> None:
    heading(document, f"1. Chỉ tiêu được giao ({len(rows)})")
    if not rows:
        note(document, "Không có chỉ tiêu nào được giao trực tiếp.")
        return
    table, widths = add_table_with_header(
        document, ["TT", "Chỉ tiêu", "Kết quả", "Đánh giá"], [16, 98, 27, 24]
    )
    for row in rows:
        indicator, evaluation = row.indicator, row.evaluation
        result = evaluation.value_text or (
            measured(evaluation.value, indicator.measure) if evaluation.value is not None else ""
        )
        cells = table.add_row().cells
        add_cell_text(cells[0], indicator.label, size=SMALL, align=WD_ALIGN_PARAGRAPH.CENTER)
        add_cell_text(cells[1], indicator.name, size=SMALL)
        add_cell_text(cells[2], result, size=SMALL)
        add_cell_text(cells[3], evaluation.label, size=SMALL, align=WD_ALIGN_PARAGRAPH.CENTER)
    set_widths(table, widths)


def _ranks_section(document: DocxDocument, ranks: list[UnitRank]) -> None:
    heading(document, "2. Xếp hạng của đơn vị (số liệu đã duyệt, kỳ gần nhất; hạng 1 là tốt nhất)")
    if not ranks:
        note(document, "Chưa có số liệu để xếp hạng.")
        return
    table, widths = add_table_with_header(
        document, ["TT", "Chỉ tiêu", "Giá trị của đơn vị", "Hạng", "Mục tiêu"], [16, 85, 24, 18, 22]
    )
    center = WD_ALIGN_PARAGRAPH.CENTER
    for rank in ranks:
        cells = table.add_row().cells
        add_cell_text(cells[0], rank.indicator.label, size=SMALL, align=center)
        add_cell_text(cells[1], rank.indicator.name, size=SMALL)
        add_cell_text(cells[2], measured(rank.value, rank.indicator.measure), size=SMALL, align=center)
        add_cell_text(cells[3], f"{rank.rank}/{rank.ranked}", size=SMALL, align=center)
        met = {True: "đạt", False: "dưới mục tiêu", None: ""}[rank.meets_target]
        add_cell_text(cells[4], met, size=SMALL, align=center)
    set_widths(table, widths)


def _tasks_section(document: DocxDocument, tasks: list[Task]) -> None:
    heading(document, f"3. Nhiệm vụ ({len(tasks)})")
    if not tasks:
        note(document, "Không có nhiệm vụ nào.")
        return
    table, widths = add_table_with_header(
        document, ["TT", "Nhiệm vụ", "Hạn", "Trạng thái"], [14, 107, 22, 22]
    )
    for task in tasks:
        cells = table.add_row().cells
        add_cell_text(cells[0], task.number, size=SMALL, align=WD_ALIGN_PARAGRAPH.CENTER)
        add_cell_text(cells[1], task.title, size=SMALL)
        add_cell_text(cells[2], f"{task.due_on:%d/%m/%Y}", size=SMALL, align=WD_ALIGN_PARAGRAPH.CENTER)
        add_cell_text(cells[3], str(task.get_status_display()), size=SMALL)
    set_widths(table, widths)


def _overdue_section(document: DocxDocument, overdue: list[Overdue] | None) -> None:
    heading(document, "4. Báo cáo quá hạn")
    if overdue is None:
        note(document, "Chỉ đơn vị và Văn phòng CĐS xem được phần này.")
        return
    if not overdue:
        note(document, "Không có báo cáo quá hạn.")
        return
    table, widths = add_table_with_header(
        document, ["Biểu mẫu", "Kỳ", "Hạn nộp", "Số ngày trễ"], [80, 35, 25, 25]
    )
    for item in overdue:
        cells = table.add_row().cells
        add_cell_text(cells[0], item.dataset.symbol or item.dataset.code, size=SMALL)
        add_cell_text(cells[1], item.label, size=SMALL)
        add_cell_text(cells[2], f"{item.due:%d/%m/%Y}", size=SMALL, align=WD_ALIGN_PARAGRAPH.CENTER)
        add_cell_text(cells[3], str(item.days_late), size=SMALL, align=WD_ALIGN_PARAGRAPH.CENTER)
    set_widths(table, widths)


def heading(document: DocxDocument, text: str) -> None:
    add_paragraph(document, text, bold=True, before=8, after=4)


def note(document: DocxDocument, text: str) -> None:
    add_paragraph(document, text, size=SMALL, italic=True, after=4)
