"""The probe's reproducer: a dossier CSV in Latin-1 or UTF-16 ended in a traceback. Now the file is
refused with the encoding expected and where it fails, and nothing is stored (on both databases)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tiendo.analytics.models import Dossier
from tiendo.analytics.tests.test_dossiers_import import HEADER, row

pytestmark = pytest.mark.django_db

TEXT = HEADER + row("D1") + row("D2") + row("Dé-3")  # line 4 holds the first non-ASCII character


def refused(tmp_path, content: bytes) -> str:
    path = tmp_path / "hoso.csv"
    path.write_bytes(content)
    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command("import_dossiers", str(path), stdout=io.StringIO())
    assert not Dossier.objects.exists()
    return str(caught.value)


def test_a_latin_1_file_is_refused_naming_utf_8_and_the_line(tmp_path, shipped_data):
    message = refused(tmp_path, TEXT.encode("latin-1"))
    assert "hoso.csv:4: not UTF-8 (byte 0xE9 at byte" in message
    assert "a UTF-8 CSV is expected" in message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_utf_16_file_is_refused_naming_the_encodings(tmp_path, shipped_data, encoding):
    message = refused(tmp_path, TEXT.encode(encoding))
    assert "hoso.csv:1: the file is UTF-16 (or UTF-32); UTF-8 is expected" in message


def test_a_multibyte_character_cut_at_the_end_of_the_file_is_refused(tmp_path, shipped_data):
    message = refused(tmp_path, TEXT.encode("utf-8") + "ệ".encode()[:2])
    assert "hoso.csv:5: not UTF-8" in message


def test_a_bad_byte_after_the_first_megabyte_is_found_with_its_line(tmp_path, shipped_data):
    lines = [row(f"D{i}") for i in range(8000)]  # ~1.1 MB
    content = (HEADER + "".join(lines)).encode() + b"D\xff,x\n"
    message = refused(tmp_path, content)
    assert f"hoso.csv:{8002}: not UTF-8 (byte 0xFF" in message


def test_utf_8_with_or_without_a_bom_is_read(tmp_path, shipped_data):
    for number, prefix in enumerate((b"", b"\xef\xbb\xbf")):
        path = tmp_path / f"hoso{number}.csv"
        path.write_bytes(prefix + TEXT.encode())
        call_command("import_dossiers", str(path), stdout=io.StringIO())
    assert set(Dossier.objects.values_list("dossier_id", flat=True)) == {"D1", "D2", "Dé-3"}
