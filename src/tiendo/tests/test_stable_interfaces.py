"""The stable interfaces of DESIGN §6 stay as they were when the house was reorganised.

The baselines were written from `main` before the layers moved (issue 9): the OpenAPI document of
/api/v1, every non-admin URL with its name, and the CLI's commands. A change to any of them must be
deliberate: regenerate with TIENDO_UPDATE_INTERFACES=1 and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.management import get_commands
from django.urls import get_resolver

from tiendo.api.api import api
from tiendo.cli import COMMANDS

HERE = Path(__file__).parent
OPENAPI = HERE / "openapi-baseline.json"
INTERFACES = HERE / "interfaces-baseline.json"
UPDATE = os.environ.get("TIENDO_UPDATE_INTERFACES") == "1"


def _routes(patterns, prefix=""):
    out = []
    for p in patterns:
        if hasattr(p, "url_patterns"):
            if str(p.pattern).startswith("admin/"):
                continue
            out += _routes(p.url_patterns, prefix + str(p.pattern))
        else:
            out.append([prefix + str(p.pattern), p.name or ""])
    return out


def _interfaces() -> dict:
    return {
        "urls": _routes(get_resolver().url_patterns),
        "cli": sorted(COMMANDS),
        "management_commands": sorted(c for c, app in get_commands().items() if app.startswith("tiendo")),
    }


def _compare(path: Path, current: dict) -> None:
    if UPDATE:
        path.write_text(
            json.dumps(current, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    assert current == json.loads(path.read_text(encoding="utf-8"))


def test_the_openapi_document_is_the_one_recorded_before_the_reorganisation():
    # through JSON, as clients read it (status codes become strings)
    _compare(OPENAPI, json.loads(json.dumps(api.get_openapi_schema())))


def test_every_url_name_and_cli_command_is_still_there():
    _compare(INTERFACES, _interfaces())
