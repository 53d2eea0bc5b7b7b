"""The evaluation report as a DOCX in the layout of Nghị định 30/2020/NĐ-CP, Phụ lục I.

A4 portrait; margins top and bottom 20 mm, left 30 mm, right 15 mm; Times New Roman throughout;
the header block (agency on the left, Quốc hiệu and Tiêu ngữ on the right, each with its rule),
number and symbol left blank for the văn thư, place and date, title and trích yếu, the body,
the signature block with "Nơi nhận", page numbers centred at the top from page 2; each appendix in
its own section with its page numbers restarting, "Phụ lục I/II", its title and "(Kèm theo …)",
and a table whose header row repeats on every page. Sizes are the decree's (docs: vietnam.md §3).
"""

from __future__ import annotations

import io
import re

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from tiendo.documents.narrative import DEFAULT_EVALUATION_REPORT, Paragraph, render_narrative
from tiendo.documents.report import ISSUER, EvaluationReport

FONT = "Times New Roman"
BODY_PT = 14
PAGE = {"width": Mm(210), "height": Mm(297), "top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(15)}
TEXT_WIDTH_MM = 210 - 30 - 15
LEFT_BLOCK_MM, RIGHT_BLOCK_MM = 67, TEXT_WIDTH_MM - 67  # the Quốc hiệu needs ~92 mm at 12 pt
# elements that follow w:pBdr in w:pPr, and w:pgNumType in w:sectPr (ECMA-376 order)
_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
               "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
               "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
               "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
               "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")  # fmt: skip
_AFTER_PGNUMTYPE = ("w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi",
                    "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange")  # fmt: skip
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
DEFAULT_RECIPIENTS = [
    "UBND tỉnh (b/c);",
    "Bộ Khoa học và Công nghệ (b/c);",
    "Các sở, ban, ngành tỉnh;",
    "UBND các xã, phường, đặc khu;",
]


def _run(paragraph, text: str, *, size: float = BODY_PT, bold: bool = False, italic: bool = False):
    run = paragraph.add_run(CONTROL.sub("", text))  # XML 1.0 has no place for control characters
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return run


def _paragraph(container, text: str = "", *, size: float = BODY_PT, bold=False, italic=False, align=None,
               before: float = 0, after: float = 0, indent_first: Cm | None = None):  # fmt: skip
    paragraph = container.add_paragraph()
    if text:
        _run(paragraph, text, size=size, bold=bold, italic=italic)
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if align is not None:
        paragraph.alignment = align
    if indent_first is not None:
        fmt.first_line_indent = indent_first
    return paragraph


def _rule(container, *, width_mm: float, block_mm: float):
    """A solid line of `width_mm`, centred in a block of `block_mm`: the bottom border of an empty,
    indented paragraph (how Word draws the decree's rules without a floating shape)."""
    paragraph = _paragraph(container, size=1)
    side = Mm(max(0.0, (block_mm - width_mm) / 2))
    paragraph.paragraph_format.left_indent = side
    paragraph.paragraph_format.right_indent = side
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_PBDR)
    for run in paragraph.runs:
        run.font.size = Pt(1)
    paragraph.paragraph_format.line_spacing = Pt(2)
    return paragraph


def _first(cell):
    """A cell's first paragraph, emptied and spaced like the others (no style spacing)."""
    paragraph = cell.paragraphs[0]
    paragraph.text = ""
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    return paragraph


def _no_borders(table) -> None:
    """No lines and no inner margins: the blocks of the decree's layout sit edge to edge."""
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), "0")
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.insert_element_before(
        margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange"
    )
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.insert_element_before(
        borders,
        "w:shd",
        "w:tblLayout",
        "w:tblCellMar",
        "w:tblLook",
        "w:tblCaption",
        "w:tblDescription",
        "w:tblPrChange",
    )


def _widths(table, widths_mm: list[float]) -> None:
    """Fixed column widths, in the grid (what LibreOffice reads) and in every cell (what Word reads)."""
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


def _page_number_header(section) -> None:
    """Arabic page number, centred in the top margin, not on the section's first page."""
    section.different_first_page_header_footer = True
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = _run(paragraph, "", size=BODY_PT)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._r.append(field)
        else:
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)
    section.first_page_header.is_linked_to_previous = False


def _restart_numbering(section) -> None:
    """One w:pgNumType, in its place in the schema (a new section clones the last one's settings)."""
    sect_pr = section._sectPr
    for existing in sect_pr.findall(qn("w:pgNumType")):
        sect_pr.remove(existing)
    numbering = OxmlElement("w:pgNumType")
    numbering.set(qn("w:start"), "1")
    sect_pr.insert_element_before(numbering, *_AFTER_PGNUMTYPE)


def _page(section) -> None:
    section.page_width, section.page_height = PAGE["width"], PAGE["height"]
    section.top_margin, section.bottom_margin = PAGE["top"], PAGE["bottom"]
    section.left_margin, section.right_margin = PAGE["left"], PAGE["right"]
    section.header_distance = Mm(10)


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    properties.append(marker)


def _cell(cell, text: str, *, size: float = 13, bold=False, align=WD_ALIGN_PARAGRAPH.LEFT) -> None:
    cell.paragraphs[0].text = ""
    paragraph = cell.paragraphs[0]
    _run(paragraph, text, size=size, bold=bold)
    paragraph.alignment = align
    paragraph.paragraph_format.space_before = Pt(2)
    paragraph.paragraph_format.space_after = Pt(2)


def new_document() -> DocxDocument:
    """A blank A4 document in the decree's page, font and page numbers."""
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    section = document.sections[0]
    _page(section)
    _page_number_header(section)
    return document


def saved(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def render_docx(
    report: EvaluationReport,
    *,
    signer_title: str = "GIÁM ĐỐC",
    signer_name: str = "",
    authority: str = "KT.",
    recipients: list[str] | None = None,
    narrative: list[Paragraph] | None = None,
) -> bytes:
    """The report; `narrative` is the office's text filled in (default: the text tiendo ships)."""
    document = new_document()
    header_block(document, province=report.province, symbol=report.symbol, year=report.generated_at.year)
    lines = [f"Kết quả thực hiện Kế hoạch chuyển đổi số năm {report.year}"]
    if report.next_plan is not None:  # two lines, broken where the sense breaks
        lines.append(f"và mục tiêu năm {report.next_plan.year}")
    title(document, "BÁO CÁO", lines)
    if narrative is None:
        narrative = render_narrative(DEFAULT_EVALUATION_REPORT, report)
    _body(document, report, narrative)
    _signature(document, report, signer_title, signer_name, authority, recipients or DEFAULT_RECIPIENTS)
    _appendix_results(document, report)
    if report.targets:
        _appendix_targets(document, report)
    return saved(document)


def header_block(
    document, *, province: str, symbol: str, year: int, issuer: str = ISSUER, parent: str | None = None
) -> None:
    """The agency (left) and the Quốc hiệu and Tiêu ngữ (right), with their rules, the number left
    blank for the văn thư, and the place and date."""
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [LEFT_BLOCK_MM, RIGHT_BLOCK_MM])
    left, right = table.rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    first = _first(left)
    first.alignment = center
    above = f"UBND TỈNH {province}" if parent is None else parent  # "": an agency with none above it
    if above:
        _run(first, above.upper(), size=12)
        _paragraph(left, issuer.upper(), size=12, bold=True, align=center)
    else:
        _run(first, issuer.upper(), size=12, bold=True)
    _rule(left, width_mm=LEFT_BLOCK_MM * 0.4, block_mm=LEFT_BLOCK_MM)
    _paragraph(left, f"Số:        /{symbol}", size=13, align=center, before=6)
    motto = _first(right)
    _run(motto, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    motto.alignment = center
    _paragraph(right, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True, align=center)
    _rule(right, width_mm=62, block_mm=RIGHT_BLOCK_MM)
    _paragraph(
        right, f"{province}, ngày    tháng    năm {year}", size=14, italic=True, align=center, before=6
    )


def title(document, kind: str, subject: list[str]) -> None:
    """Tên loại and trích yếu, centred and bold, with the rule under the trích yếu."""
    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(document, kind, bold=True, align=center, before=18)
    line_one = _paragraph(document, subject[0], bold=True, align=center)
    for line in subject[1:]:
        line_one.runs[-1].add_break()
        _run(line_one, line, bold=True)
    _rule(document, width_mm=55, block_mm=TEXT_WIDTH_MM)
    _paragraph(document, after=6)


def _body(document, report: EvaluationReport, narrative: list[Paragraph]) -> None:
    """The narrative, filled in: justified, first line indented 1.27 cm, 6 pt between paragraphs."""
    for part in narrative:
        paragraph = _paragraph(document, part.text, bold=part.bold, after=6, indent_first=Cm(1.27))
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.line_spacing = 1.15


def _signature(document, report, signer_title, signer_name, authority, recipients) -> None:
    _paragraph(document, after=6)
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [TEXT_WIDTH_MM / 2, TEXT_WIDTH_MM / 2])
    left, right = table.rows[0].cells
    _run(_first(left), "Nơi nhận:", size=12, bold=True, italic=True)
    for line in [*recipients, f"Lưu: VT, {report.symbol.split('-')[-1]}."]:
        _paragraph(left, f"- {line}", size=11)
    center = WD_ALIGN_PARAGRAPH.CENTER
    first = _first(right)
    first.alignment = center
    if authority:
        _run(first, f"{authority} {signer_title}".upper(), bold=True)
        _paragraph(right, f"PHÓ {signer_title}".upper(), bold=True, align=center)
    else:
        _run(first, signer_title.upper(), bold=True)
    for _ in range(3):  # room for the signature and the seal
        _paragraph(right)
    _paragraph(right, signer_name, bold=True, align=center)
    cant_split = OxmlElement("w:cantSplit")  # the block moves to the next page whole, never half
    table.rows[0]._tr.get_or_add_trPr().append(cant_split)


def _appendix_heading(document, report: EvaluationReport, number: int, title: str):
    section = document.add_section(WD_SECTION.NEW_PAGE)
    _page(section)
    _page_number_header(section)
    _restart_numbering(section)
    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(document, f"Phụ lục {ROMAN[number - 1]}", bold=True, align=center)
    _paragraph(document, title.upper(), bold=True, align=center)
    _paragraph(
        document,
        f"(Kèm theo Báo cáo số        /{report.symbol} ngày      tháng      năm {report.generated_at.year} "
        f"của {ISSUER})",
        italic=True,
        align=center,
        after=12,
    )


def _table(document, header: list[str], widths_mm: list[float]):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _cell(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _repeat_header(table.rows[0])
    return table, widths_mm


def _group_row(table, group, columns: int) -> None:
    cells = table.add_row().cells
    _cell(cells[0], group.code, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    merged = cells[1].merge(cells[columns - 1])
    _cell(merged, group.name, bold=True)


def _appendix_results(document, report: EvaluationReport) -> None:
    _appendix_heading(document, report, 1, f"Đánh giá kết quả thực hiện năm {report.year}")
    header = ["TT", "Chỉ tiêu", "Cơ quan chủ trì", f"Kết quả thực hiện năm {report.year}", "Đánh giá"]
    table, widths = _table(document, header, [11, 62, 32, 35, 25])
    grouped = len(report.results) > 1
    for group in report.results:
        if grouped:
            _group_row(table, group, len(header))
        for row in group.rows:
            cells = table.add_row().cells
            _cell(cells[0], row.number, align=WD_ALIGN_PARAGRAPH.CENTER)
            _cell(cells[1], row.name)
            _cell(cells[2], row.lead)
            _cell(cells[3], row.result)
            _cell(cells[4], row.verdict, align=WD_ALIGN_PARAGRAPH.CENTER)
    _widths(table, widths)


def _appendix_targets(document, report: EvaluationReport) -> None:
    assert report.next_plan is not None
    year = report.next_plan.year
    _appendix_heading(document, report, 2, f"Mục tiêu chuyển đổi số năm {year}")
    header = ["TT", "Chỉ tiêu", f"Mục tiêu năm {year}", "Cơ quan chủ trì/Đánh giá"]
    table, widths = _table(document, header, [11, 84, 28, 42])
    for group in report.targets:
        _group_row(table, group, len(header))
        for row in group.rows:
            cells = table.add_row().cells
            _cell(cells[0], row.number, align=WD_ALIGN_PARAGRAPH.CENTER)
            _cell(cells[1], row.name)
            _cell(cells[2], row.target, align=WD_ALIGN_PARAGRAPH.CENTER)
            _cell(cells[3], row.lead)
    _widths(table, widths)


# for the other documents of this app (the unit report, the submission sheet)
add_paragraph, add_cell_text, add_table_with_header, set_widths = _paragraph, _cell, _table, _widths
