from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.exceptions import ApplicationError
from tiendo.orgunits.boundaries import boundaries_load


class Command(TranslatedHelpCommand):
    help = "Attach boundaries (GeoJSON FeatureCollection, properties.code = unit code) to loaded units."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            count = boundaries_load(path=file)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(_("%(file)s: đã nạp %(count)s ranh giới") % {"file": file.name, "count": count})
