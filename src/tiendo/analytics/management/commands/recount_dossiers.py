import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.analytics.feed import dossiers_derive
from tiendo.analytics.management.commands.import_dossiers import EXIT_BUSY
from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.db_timeouts import ImportBusyError
from tiendo.core.exceptions import ApplicationError


class Command(TranslatedHelpCommand):
    help_text = gettext_lazy(
        "Đếm lại hồ sơ của một năm vào số đếm theo đơn vị và tháng (mỗi lần nạp đều giữ chúng; "
        "đây là tính lại toàn bộ, ví dụ sau khi khôi phục)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)

    def handle(self, *args: Any, year: int, **options: Any) -> None:
        started = time.perf_counter()
        try:
            cells = dossiers_derive(year=year)
        except ImportBusyError as exc:  # an import holds the lock beyond the command's wait
            raise CommandError(str(exc), returncode=EXIT_BUSY) from None
        except ApplicationError as exc:  # beyond the command's statement timeout
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("%(year)s: %(cells)s ô (đơn vị × tháng); %(seconds)s s")
            % {"year": year, "cells": cells, "seconds": f"{time.perf_counter() - started:.2f}"}
        )
