"""System checks with stable ids; `tiendo check` (and `tiendo check --deploy`) reports them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key_origin(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "SECRET_KEY_ORIGIN", "env") == "generated":
        return [
            checks.Warning(
                "TIENDO_SECRET_KEY is not set; a key generated into the data directory is in use.",
                hint="Set TIENDO_SECRET_KEY (or TIENDO_SECRET_KEY_FILE) in production.",
                id="tiendo.W001",
            )
        ]
    return []


@checks.register(checks.Tags.staticfiles)
def check_static_assets_built(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    vendor = settings.BASE_DIR / "web" / "static" / "vendor"
    missing = [
        name
        for name in ("bootstrap.min.css", "htmx.min.js", "echarts.min.js")
        if not (vendor / name).exists()
    ]
    if missing:
        return [
            checks.Warning(
                f"Front-end assets are not built: {', '.join(missing)} missing in {vendor}.",
                hint="Run `npm ci && npm run build` in the project folder (scripts/install.sh does it).",
                id="tiendo.W002",
            )
        ]
    return []
