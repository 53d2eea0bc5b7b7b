import os
import subprocess
import sys

import pytest

from tiendo.cli import COMMANDS, take_language, usage


def tiendo(*args, tmp_path, **env):
    """Run `tiendo ARGS` as an operator would: a fresh process, only the variables given."""
    base = {"PATH": "/usr/bin:/bin", "TIENDO_DATA_DIR": str(tmp_path)}
    if "PYTHONPATH" in os.environ:  # the checkout under test, not another installed copy
        base["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run(
        [sys.executable, "-m", "tiendo.cli", *args], capture_output=True, text=True, env={**base, **env}
    )


def test_the_help_lists_every_command_the_design_names():
    text = usage()
    for name in ("demo", "serve", "load-plan", "load-units", "worker", "createadmin", "check"):
        assert f"  {name} " in text
    assert set(COMMANDS) >= {"demo", "serve", "load-plan", "load-units", "worker", "createadmin"}


def test_the_tiendo_command_prints_its_help(tmp_path):
    result = tiendo("--help", tmp_path=tmp_path, LANG="en_US.UTF-8")
    assert result.returncode == 0
    assert "usage: tiendo COMMAND" in result.stdout
    assert "validate and load a plan file (YAML)" in result.stdout


def test_the_help_is_vietnamese_by_default_and_english_when_asked_with_lang(tmp_path):
    vietnamese = tiendo("--help", tmp_path=tmp_path, LANG="vi_VN.UTF-8").stdout
    assert "cách dùng: tiendo LỆNH" in vietnamese
    assert "kiểm tra và nạp một tệp kế hoạch (YAML)" in vietnamese
    assert "usage:" not in vietnamese
    assert "usage: tiendo COMMAND" in tiendo("--lang", "en", "--help", tmp_path=tmp_path).stdout
    assert "cách dùng:" in tiendo("--help", "--lang=vi", tmp_path=tmp_path, LANG="en_GB.UTF-8").stdout


def test_the_lang_option_is_taken_out_before_django_reads_the_arguments(monkeypatch):
    monkeypatch.delenv("TIENDO_LANG", raising=False)
    assert take_language(["tiendo", "--lang", "en", "load-plan", "f.yaml"]) == [
        "tiendo",
        "load-plan",
        "f.yaml",
    ]
    assert os.environ["TIENDO_LANG"] == "en"
    assert take_language(["tiendo", "check", "--lang=vi"]) == ["tiendo", "check"]
    assert os.environ["TIENDO_LANG"] == "vi"


@pytest.mark.django_db
def test_the_tiendo_command_runs_load_plan_on_a_missing_file_with_a_clear_error(tmp_path):
    result = tiendo("load-plan", str(tmp_path / "none.yaml"), tmp_path=tmp_path, LANG="en_US.UTF-8")
    assert result.returncode != 0
    assert "file not found" in result.stderr


@pytest.mark.django_db
def test_load_plan_speaks_the_operators_locale(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("plan:\n  code: x\n", encoding="utf-8")
    english = tiendo("load-plan", str(bad), tmp_path=tmp_path, LANG="en_US.UTF-8")
    assert english.returncode != 0
    assert "nothing loaded" in english.stderr and "plan.year: required" in english.stderr
    vietnamese = tiendo("load-plan", str(bad), tmp_path=tmp_path, LANG="vi_VN.UTF-8")
    assert vietnamese.returncode != 0
    assert "không nạp gì" in vietnamese.stderr and "plan.year: bắt buộc" in vietnamese.stderr
    assert "nothing loaded" not in vietnamese.stderr


def test_a_malformed_setting_stops_tiendo_check_and_names_the_variable(tmp_path):
    result = tiendo("check", tmp_path=tmp_path, LANG="en_US.UTF-8", TIENDO_REMINDER_DAYS_BEFORE="three")
    assert result.returncode != 0
    assert "TIENDO_REMINDER_DAYS_BEFORE=three: must be an integer" in result.stderr
    assert "Traceback" not in result.stderr
    result = tiendo("check", tmp_path=tmp_path, LANG="vi_VN.UTF-8", TIENDO_REMINDER_DAYS_BEFORE="three")
    assert "TIENDO_REMINDER_DAYS_BEFORE=three: phải là số nguyên" in result.stderr


def test_every_command_prints_its_own_help_in_both_languages():
    """argparse fails on a lazy translation; every command turns its texts into strings first."""
    from io import StringIO

    from django.core.management import get_commands, load_command_class
    from django.utils import translation

    apps = get_commands()
    for name, (command, _help) in COMMANDS.items():
        if command not in apps:
            continue
        for language in ("vi", "en"):
            with translation.override(language):
                parser = load_command_class(apps[command], command).create_parser("tiendo", name)
                out = StringIO()
                parser.print_help(out)
                assert "--help" in out.getvalue(), name
