import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"


def test_the_committed_english_catalogue_matches_its_po_file(tmp_path):
    """The .mo is committed (a newcomer needs no gettext tools); it must be compiled from the .po."""
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (GNU gettext) is not installed")
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-c", "-o", str(compiled), str(LOCALE / "django.po")], check=True)
    with open(compiled, "rb") as fresh, open(LOCALE / "django.mo", "rb") as committed:
        assert gettext.GNUTranslations(fresh)._catalog == gettext.GNUTranslations(committed)._catalog


def test_every_interface_string_has_an_english_translation():
    entries = (LOCALE / "django.po").read_text(encoding="utf-8").split("\n\n")[1:]
    untranslated = [
        entry for entry in entries if entry.rstrip().endswith('msgstr ""') or 'msgstr[0] ""' in entry
    ]
    assert untranslated == []
    assert not any("#, fuzzy" in entry for entry in entries)
    with translation.override("en"):
        assert translation.gettext("Chưa đến hạn") == "Not yet due"
