"""Commands whose help is translated. The texts are lazy translations (`gettext_lazy`), made strings
when the parser is built — argparse wants `str` and fails on a lazy text — so `--help` speaks the
operator's language (`tiendo --lang`, LANG)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.functional import Promise


class TranslatedHelpCommand(BaseCommand):
    help_text: str | Promise = ""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        if self.help_text:
            self.help = str(self.help_text)
        elif isinstance(self.help, Promise):
            self.help = str(self.help)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:
            if isinstance(action.help, Promise):
                action.help = str(action.help)
        return parser
