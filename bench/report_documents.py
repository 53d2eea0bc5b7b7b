"""Generating the year's evaluation report (issue "Official documents"): goal DOCX + XLSX < 2 s.

    .venv/bin/python bench/report_documents.py [--repeat 20]

Sets up a temporary SQLite database with the shipped units, plans and forms (as `tiendo demo` does,
without demo data), then, in this process and for quang-ngai-2025 (Phụ lục I: 23 indicators,
Phụ lục II: the 34 targets of 2026), times each step `--repeat` times and prints the median and the
slowest: the report's data (selectors and evaluation), the DOCX, the XLSX, and the two together —
beside the libraries' floor measured in the same run (python-docx saving a one-paragraph document,
openpyxl saving an empty workbook). With LibreOffice installed, the PDF is timed too (no goal; a
LibreOffice process starts for each conversion). Prints a Markdown block for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time

from reporting_deadline import ROOT, VENV_BIN, machine_facts

GOAL_S = 2.0
PLAN = "quang-ngai-2025"


def timed(repeat: int, work) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), max(runs)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="tiendo-bench-report-")
    env = {**os.environ, "TIENDO_DATA_DIR": data_dir}
    env.pop("DATABASE_URL", None)
    tiendo = str(VENV_BIN / "tiendo")
    for step in (
        [tiendo, "migrate", "-v0"],
        [tiendo, "load-units", "--province", "51"],
        [tiendo, "load-plan", str(ROOT / "src/tiendo/plans/data/quang-ngai-2025.yaml")],
        [tiendo, "load-plan", str(ROOT / "src/tiendo/plans/data/quang-ngai-2026.yaml")],
        [tiendo, "load-forms", str(ROOT / "src/tiendo/reporting/data/forms-2026.yaml")],
    ):
        subprocess.run(step, env=env, check=True, capture_output=True)
    os.environ.update(TIENDO_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="tiendo.settings")
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone
    from docx import Document
    from openpyxl import Workbook

    from tiendo.documents.docx_writer import render_docx
    from tiendo.documents.pdf import docx_to_pdf, soffice_path
    from tiendo.documents.report import evaluation_report
    from tiendo.documents.xlsx_writer import render_xlsx
    from tiendo.plans.models import Plan

    user = AnonymousUser()
    plan = Plan.objects.get(code=PLAN)
    report = evaluation_report(user=user, plan=plan)  # warm-up: imports, the connection, templates
    render_docx(report)
    render_xlsx(report)

    def floor() -> None:
        document = Document()
        document.add_paragraph("BÁO CÁO")
        document.save(io.BytesIO())
        Workbook().save(io.BytesIO())

    def both() -> None:
        fresh = evaluation_report(user=user, plan=plan)
        render_docx(fresh)
        render_xlsx(fresh)

    rows = [
        (
            "baseline: python-docx saves a one-paragraph document + openpyxl an empty workbook",
            timed(args.repeat, floor),
        ),
        (
            "the report's data (selectors, evaluation of 23 + 34 indicators)",
            timed(args.repeat, lambda: evaluation_report(user=user, plan=plan)),
        ),
        ("DOCX (report, Phụ lục I and II)", timed(args.repeat, lambda: render_docx(report))),
        ("XLSX (the two tables)", timed(args.repeat, lambda: render_xlsx(report))),
        ("the full report: data + DOCX + XLSX", timed(args.repeat, both)),
    ]
    pdf = None
    if soffice_path():
        docx = render_docx(report)
        pdf = timed(3, lambda: docx_to_pdf(docx))
    facts = machine_facts("not used")
    facts.pop("PostgreSQL", None)
    facts["packages"] = ", ".join(
        f"{name} {importlib.metadata.version(name)}" for name in ("Django", "python-docx", "openpyxl")
    )
    if soffice_path():
        version = subprocess.run([soffice_path(), "--version"], capture_output=True, text=True).stdout.strip()
        facts["LibreOffice"] = version or "?"
    total = rows[-1][1][0]
    lines = [
        "<!-- bench/report_documents.py -->",
        f"#### {timezone.localdate().isoformat()} — {PLAN}, {args.repeat} runs each, SQLite",
        "",
        f"`.venv/bin/python bench/report_documents.py --repeat {args.repeat}`",
        "",
        "| machine | |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in facts.items()],
        "",
        "| step | median | slowest |",
        "| --- | --- | --- |",
        *[f"| {name} | {m * 1000:.0f} ms | {worst * 1000:.0f} ms |" for name, (m, worst) in rows],
    ]
    if pdf:
        lines.append(
            f"| PDF from the DOCX (LibreOffice, a process per conversion; 3 runs) | {pdf[0]:.2f} s | {pdf[1]:.2f} s |"
        )
    lines += [
        "",
        "| goal | met |",
        "| --- | --- |",
        f"| full report (DOCX + XLSX) < {GOAL_S:.0f} s | {'yes' if total < GOAL_S else '**no**'}: {total * 1000:.0f} ms "
        f"({total / rows[0][1][0]:.0f}× the libraries' floor) |",
        "<!-- /bench/report_documents.py -->",
    ]
    print("\n".join(lines))
    return 0 if total < GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
