"""Typed readers for settings that come from the environment.

Each helper fails loudly with ImproperlyConfigured when a value is present but malformed, so a
typo in a deployment never silently falls back to a default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off, not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, *, fallback_file: Path | None) -> tuple[str, str]:
    """Return (secret, origin). Reads NAME, then the file NAME_FILE names (Docker secrets).

    Without either, a random key is generated once into `fallback_file` so a newcomer's demo works
    with no set-up; `tiendo check --deploy` flags that origin as unfit for production.
    """
    value = os.environ.get(name)
    if value:
        return value, "env"
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        path = Path(file_name)
        if not path.is_file():
            raise ImproperlyConfigured(f"{name}_FILE points to {file_name!r}, which is not a readable file")
        return path.read_text(encoding="utf-8").strip(), "file"
    if fallback_file is None:
        raise ImproperlyConfigured(f"{name} is not set")
    if not fallback_file.exists():
        fallback_file.parent.mkdir(parents=True, exist_ok=True)
        fallback_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        fallback_file.chmod(0o600)
    return fallback_file.read_text(encoding="utf-8").strip(), "generated"
