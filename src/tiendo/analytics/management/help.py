"""Commands whose help is translated: the text is a lazy translation, made a string when the parser
is built (argparse wants `str`), so `--help` speaks the operator's language."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.functional import Promise


class TranslatedHelpCommand(BaseCommand):
    help_text: str | Promise = ""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = str(self.help_text)
        return super().create_parser(prog_name, subcommand, **kwargs)
