import os
import sys
from typing import cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.commands import TranslatedHelpCommand

GRACEFUL_SECONDS = 10  # a SIGTERM waits this long for requests in flight, then the server stops anyway


def graceful_server_class():
    """uvicorn's Server that, once it has shut down, leaves at once: a request still running in a
    worker thread after the graceful timeout (a sync view cannot be cancelled) does not keep the
    process alive — Python would otherwise wait for that thread at exit."""
    import uvicorn

    class GracefulServer(uvicorn.Server):
        def run(self, sockets=None):
            code = 0
            try:
                super().run(sockets=sockets)
            except SystemExit as exc:  # uvicorn's own exits (a port in use) keep their code
                code = exc.code if isinstance(exc.code, int) else 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code if self.started or code else 3)

    return GracefulServer


class Command(TranslatedHelpCommand):
    help = cast(
        str, gettext_lazy("Chạy tiendo bằng uvicorn (ASGI), tại 127.0.0.1:8000 nếu không chỉ định khác.")
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument(
            "--graceful-timeout",
            type=int,
            default=GRACEFUL_SECONDS,
            help=cast(
                str,
                gettext_lazy(
                    "Số giây chờ các yêu cầu đang chạy khi nhận SIGTERM/Ctrl+C, sau đó dừng hẳn (mặc định 10)."
                ),
            ),
        )

    def handle(self, *args, host: str, port: int, workers: int, graceful_timeout: int, **options):
        import uvicorn

        self.stdout.write(f"tiendo: http://{host}:{port}/  " + _("(Ctrl+C để dừng)"))
        config = uvicorn.Config(
            "tiendo.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=graceful_timeout,
        )
        if workers > 1:  # each worker shuts down within the timeout, then re-raises SIGTERM and dies
            from uvicorn.supervisors import Multiprocess

            Multiprocess(config, sockets=[config.bind_socket()]).run()
            return
        graceful_server_class()(config=config).run()
