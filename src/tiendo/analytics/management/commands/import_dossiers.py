import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.analytics.feed import DossierFileError, ImportResult, dossiers_import
from tiendo.analytics.models import Dossier
from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.db_timeouts import ImportBusyError
from tiendo.core.exceptions import ApplicationError

EXIT_BUSY = 75  # EX_TEMPFAIL: another import holds the lock; retry later
EXIT_INTERRUPTED = 130  # stopped by SIGINT or SIGTERM; nothing written
BULK_LOAD = 200_000  # new dossiers from which the table is vacuumed after the import


class Command(TranslatedHelpCommand):
    help_text = gettext_lazy(
        "Nạp tệp CSV hồ sơ thủ tục hành chính (cập nhật theo dossier_id); tệp có dòng lỗi thì không nạp gì."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--feed", default="dossiers")

    def handle(self, *args: Any, file: Path, feed: str, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(_("%(file)s: không tìm thấy tệp") % {"file": file})
        try:
            with _interruptible():
                result = dossiers_import(path=file, feed=feed, bound="command")
        except DossierFileError as exc:
            refused = _("%(file)s: %(count)s dòng lỗi, không nhập gì") % {"file": file, "count": exc.total}
            raise CommandError(f"{refused}\n{exc}") from None
        except ImportBusyError as exc:
            raise CommandError(str(exc), returncode=EXIT_BUSY) from None
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:
            message = _("%(file)s: bị ngắt; truy vấn đã được huỷ, không nhập gì") % {"file": file}
            raise CommandError(message, returncode=EXIT_INTERRUPTED) from None
        vacuum = ""
        if connection.vendor == "postgresql" and result.created > BULK_LOAD:
            vacuum = _vacuum()
        self.stdout.write(_summary(file.name, result) + vacuum)


@contextmanager
def _interruptible() -> Iterator[None]:
    """SIGTERM as Ctrl-C: the KeyboardInterrupt makes psycopg cancel the running query on the server
    (its backend stops and lets go of the import lock at once), then the transaction rolls back."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _vacuum() -> str:
    """What autovacuum would do within a minute, done now: a scan of freshly loaded pages checks
    every row's visibility until they are vacuumed (the full recompute runs ~2× slower)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {Dossier._meta.db_table}")
    return f"; VACUUM (ANALYZE) {time.perf_counter() - started:.2f} s"


def _summary(name: str, result: ImportResult) -> str:
    return _(
        "%(file)s: %(rows)s dòng — %(created)s mới, %(updated)s cập nhật, %(unchanged)s không đổi; "
        "%(cells)s ô (đơn vị × tháng) thay đổi; %(seconds)s s"
    ) % {
        "file": name,
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "cells": len(result.cells),
        "seconds": f"{result.seconds:.2f}",
    }
