"""Typed readers for settings that come from the environment.

Each helper fails loudly with ImproperlyConfigured when a value is present but malformed, so a
typo in a deployment never silently falls back to a default.
"""

from __future__ import annotations

import functools
import gettext
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def operator_language() -> str:
    """The language of whoever runs tiendo on this machine: `tiendo --lang` (which sets TIENDO_LANG),
    else LC_ALL / LC_MESSAGES / LANG; English for en*, otherwise Vietnamese."""
    for name in ("TIENDO_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "en" if value.lower().startswith("en") else "vi"
    return "vi"


def operator_gettext(message: str) -> str:
    """gettext while the settings are being read, before Django can translate: the project's own
    catalogue through the standard library, in the operator's language."""
    if operator_language() != "en":
        return message
    return _english().gettext(message)


@functools.cache
def _english() -> gettext.NullTranslations:
    return gettext.translation("django", localedir=LOCALE_DIR, languages=["en"], fallback=True)


_ = operator_gettext


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():  # unset or empty (`X=${X:-}` in compose): the default, as env_int
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        _("%(name)s=%(value)s: phải là một trong 1/0/true/false/yes/no/on/off") % {"name": name, "value": raw}
    )


def env_int(name: str, *, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(
            _("%(name)s=%(value)s: phải là số nguyên") % {"name": name, "value": raw}
        ) from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(
            _("%(name)s=%(value)s: phải ≥ %(minimum)s") % {"name": name, "value": raw, "minimum": minimum}
        )
    return value


def env_float(name: str, *, default: float, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(
            _("%(name)s=%(value)s: phải là số") % {"name": name, "value": raw}
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ImproperlyConfigured(_("%(name)s=%(value)s: phải là số hữu hạn") % {"name": name, "value": raw})
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(
            _("%(name)s=%(value)s: phải ≥ %(minimum)s") % {"name": name, "value": raw, "minimum": minimum}
        )
    return value


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
            raise ImproperlyConfigured(
                _("%(name)s_FILE=%(file)s: không phải tệp đọc được") % {"name": name, "file": file_name}
            )
        return path.read_text(encoding="utf-8").strip(), "file"
    if fallback_file is None:
        raise ImproperlyConfigured(_("%(name)s: chưa đặt") % {"name": name})
    if not fallback_file.exists():
        fallback_file.parent.mkdir(parents=True, exist_ok=True)
        fallback_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        fallback_file.chmod(0o600)
    return fallback_file.read_text(encoding="utf-8").strip(), "generated"


def env_choice(name: str, *, default: str, choices: tuple[str, ...]) -> str:
    """One of a fixed set of words (compared without regard to case, returned as written in `choices`)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    for choice in choices:
        if raw.strip().lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(
        _("%(name)s=%(value)s: phải là một trong %(choices)s")
        % {"name": name, "value": raw, "choices": ", ".join(choices)}
    )
