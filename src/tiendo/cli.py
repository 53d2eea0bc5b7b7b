"""The `tiendo` command: one entry point for operators.

`tiendo demo`, `tiendo serve`, `tiendo load-plan FILE`, `tiendo load-units --province 51`,
`tiendo createadmin`, `tiendo check` … are Django management commands under friendlier names;
any other Django command works too (`tiendo migrate`, `tiendo shell`).
"""

from __future__ import annotations

import os
import sys

# name shown in `tiendo --help` → (management command, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "demo",
        "migrate, load the units, the shipped plans and demo users, then serve on 127.0.0.1:8000",
    ),
    "serve": ("serve", "serve the site with uvicorn (ASGI)"),
    "load-units": ("load_units", "load a province and its communes (vietnam-provinces) and its agencies"),
    "import-dossiers": (
        "import_dossiers",
        "import public-service dossiers (CSV, upsert on dossier_id, all-or-nothing)",
    ),
    "gen-dossiers": ("gen_dossiers", "write SIMULATED dossiers (CSV) following the plan's 2025 figures"),
    "recount-dossiers": ("recount_dossiers", "count a year's dossiers again (the full recompute)"),
    "load-boundaries": ("load_boundaries", "attach boundaries (GeoJSON, by unit code) for the commune map"),
    "load-plan": ("load_plan", "validate and load a plan file (YAML); reports every problem with its line"),
    "load-forms": ("load_forms", "validate and load a forms file: data elements, forms, indicator sources"),
    "report": ("report", "write a plan's evaluation report: DOCX (Nghị định 30/2020 layout) or XLSX tables"),
    "verify": ("verify", "verify the signatures of a PDF: signer, time, intact or altered, expired"),
    "create-token": ("create_token", "create a personal access token for a system (ApiToken …)"),
    "createadmin": ("createadmin", "create a CĐS-office administrator (asks for a password)"),
    "check": ("check", "report misconfiguration (add --deploy for production checks)"),
    "migrate": ("migrate", "create or update the database tables"),
    "worker": ("worker", "run background tasks and enqueue deadline reminders (--batch: once, then exit)"),
    "send-reminders": ("send_reminders", "send the deadline reminders due today, once each (cron-friendly)"),
}


def usage() -> str:
    lines = ["usage: tiendo COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<13} {text}" for name, (_cmd, text) in COMMANDS.items()]
    lines += ["", "`tiendo COMMAND --help` shows a command's options; other Django commands work too."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiendo.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"}:
        print(usage())
        return
    name = argv[1]
    command = COMMANDS.get(name, (name.replace("-", "_"), ""))[0]
    from django.core.management import execute_from_command_line

    execute_from_command_line([argv[0], command, *argv[2:]])


if __name__ == "__main__":
    main()
