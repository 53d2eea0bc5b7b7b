from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve tiendo with uvicorn (ASGI), on 127.0.0.1:8000 unless told otherwise."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args, host: str, port: int, workers: int, **options):
        import uvicorn

        self.stdout.write(f"tiendo: http://{host}:{port}/  (Ctrl+C to stop)")
        uvicorn.run(
            "tiendo.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            lifespan="off",
        )
