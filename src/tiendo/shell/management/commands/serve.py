from typing import cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.commands import TranslatedHelpCommand


class Command(TranslatedHelpCommand):
    help = cast(
        str, gettext_lazy("Chạy tiendo bằng uvicorn (ASGI), tại 127.0.0.1:8000 nếu không chỉ định khác.")
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args, host: str, port: int, workers: int, **options):
        import uvicorn

        self.stdout.write(f"tiendo: http://{host}:{port}/  " + _("(Ctrl+C để dừng)"))
        uvicorn.run(
            "tiendo.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            lifespan="off",
        )
