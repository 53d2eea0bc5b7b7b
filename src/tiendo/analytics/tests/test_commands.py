from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tiendo.analytics.management.commands.import_dossiers import Command as ImportDossiers
from tiendo.analytics.tests.test_dossiers_import import HEADER, row

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_import_command_reports_its_counts_in_the_operators_language(tmp_path, shipped_data):
    path = tmp_path / "d.csv"
    path.write_text(HEADER + row("D1") + row("D2", unit="21172"), encoding="utf-8")
    assert run("import_dossiers", str(path)).startswith(
        "d.csv: 2 dòng — 2 mới, 0 cập nhật, 0 không đổi; 2 ô (đơn vị × tháng) thay đổi; "
    )
    with translation.override("en"):
        assert run("import_dossiers", str(path)).startswith(
            "d.csv: 2 rows — 0 new, 0 updated, 2 unchanged; 0 cells (unit × month) changed; "
        )
        assert run("recount_dossiers", "--year", "2026").startswith("2026: 2 cells (unit × month); ")


def test_the_import_command_refuses_a_bad_file_naming_its_lines(tmp_path, shipped_data):
    path = tmp_path / "d.csv"
    path.write_text(HEADER + row("D1", unit="99999"), encoding="utf-8")
    with translation.override("en"), pytest.raises(CommandError) as error:
        run("import_dossiers", str(path))
    assert str(error.value) == (
        f"{path}: 1 bad row(s), nothing imported\nd.csv:2: unit_code: unknown unit: 99999"
    )
    with pytest.raises(CommandError, match="không tìm thấy tệp"):
        run("import_dossiers", str(tmp_path / "none.csv"))


def test_the_commands_help_is_translated_when_it_is_shown():
    with translation.override("en"):
        assert "Import a CSV of public-service dossiers" in ImportDossiers().create_parser(
            "tiendo", "import-dossiers"
        ).format_help().replace("\n", " ")
    assert "Nạp tệp CSV hồ sơ" in ImportDossiers().create_parser("tiendo", "import-dossiers").format_help()
