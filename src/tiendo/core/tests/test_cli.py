import subprocess
import sys

import pytest

from tiendo.cli import COMMANDS, usage


def test_the_help_lists_every_command_the_design_names():
    text = usage()
    for name in ("demo", "serve", "load-plan", "load-units", "worker", "createadmin", "check"):
        assert f"  {name} " in text
    assert set(COMMANDS) >= {"demo", "serve", "load-plan", "load-units", "worker", "createadmin"}


def test_the_tiendo_command_prints_its_help():
    result = subprocess.run(
        [sys.executable, "-m", "tiendo.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "usage: tiendo COMMAND" in result.stdout


@pytest.mark.django_db
def test_the_tiendo_command_runs_load_plan_on_a_missing_file_with_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tiendo.cli", "load-plan", str(tmp_path / "none.yaml")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "TIENDO_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "file not found" in result.stderr
