"""PDF from the DOCX, rendered by LibreOffice when it is installed.

Why LibreOffice rather than WeasyPrint: the PDF is then the very document the DOCX is — one layout
(the decree's), kept in one place — where WeasyPrint would need a second, HTML layout of the same
report kept in step by hand. LibreOffice is optional: without it the DOCX and XLSX still work and the
PDF answers with a clear message. Each conversion uses its own LibreOffice profile in a temporary
directory, so two at once do not collide.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError

TIMEOUT_S = 120
WAIT_S = 30
# one conversion at a time per server process: each LibreOffice takes a core and ~1.5 s, and a public
# page must not be able to start dozens; a request that waits longer than WAIT_S is told to retry
_ONE_AT_A_TIME = threading.BoundedSemaphore(1)


class ConverterMissingError(ApplicationError):
    status_code = 503
    code = "converter_missing"


class ConverterBusyError(ApplicationError):
    status_code = 503
    code = "converter_unavailable"


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(content: bytes) -> bytes:
    soffice = soffice_path()
    if soffice is None:
        raise ConverterMissingError(
            _(
                "Chưa cài LibreOffice nên không tạo được PDF (apt-get install libreoffice-writer-nogui); "
                "DOCX và XLSX vẫn tạo được"
            ),
            field="format",
        )
    if not _ONE_AT_A_TIME.acquire(timeout=WAIT_S):
        raise ConverterBusyError(_("Máy chủ đang bận tạo PDF khác, hãy thử lại sau ít phút"))
    try:
        return _convert(soffice, content)
    finally:
        _ONE_AT_A_TIME.release()


def _convert(soffice: str, content: bytes) -> bytes:
    with tempfile.TemporaryDirectory(prefix="tiendo-pdf-") as folder:
        work = Path(folder)
        source = work / "report.docx"
        source.write_bytes(content)
        process = subprocess.Popen(
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
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: a timeout stops soffice.bin too
        )
        try:
            _out, err = process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ConverterBusyError(
                _("LibreOffice không xong sau %(seconds)s giây") % {"seconds": TIMEOUT_S}
            ) from None
        result = work / "report.pdf"
        if process.returncode != 0 or not result.exists():
            raise ConverterBusyError(
                _("LibreOffice không chuyển được sang PDF: %(detail)s")
                % {"detail": err.decode(errors="replace")[-300:]}
            )
        return result.read_bytes()
