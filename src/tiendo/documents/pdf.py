"""PDF from the DOCX, rendered by LibreOffice when it is installed.

Why LibreOffice rather than WeasyPrint: the PDF is then the very document the DOCX is — one layout
(the decree's), kept in one place — where WeasyPrint would need a second, HTML layout of the same
report kept in step by hand. LibreOffice is optional: without it the DOCX and XLSX still work and the
PDF answers with a clear message. Each conversion uses its own LibreOffice profile in a temporary
directory, so two at once do not collide.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from tiendo.core.exceptions import ApplicationError

TIMEOUT_S = 120


class ConverterMissingError(ApplicationError):
    status_code = 503
    code = "converter_missing"


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(content: bytes) -> bytes:
    soffice = soffice_path()
    if soffice is None:
        raise ConverterMissingError(
            "Chưa cài LibreOffice nên không tạo được PDF / LibreOffice is not installed, so no PDF "
            "(apt-get install libreoffice-writer-nogui); DOCX and XLSX work without it",
            field="format",
        )
    with tempfile.TemporaryDirectory(prefix="tiendo-pdf-") as folder:
        work = Path(folder)
        source = work / "report.docx"
        source.write_bytes(content)
        done = subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(work),
                str(source),
            ],
            capture_output=True,
            timeout=TIMEOUT_S,
        )
        result = work / "report.pdf"
        if done.returncode != 0 or not result.exists():
            raise ApplicationError(
                f"LibreOffice không chuyển được sang PDF / LibreOffice could not convert to PDF: "
                f"{done.stderr.decode(errors='replace')[-500:]}"
            )
        return result.read_bytes()
