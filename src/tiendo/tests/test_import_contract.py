"""The layers of docs/architecture.md are a contract (pyproject.toml, [tool.importlinter]) that
lint-imports checks; these tests show it holds on the tree and that it would catch a violation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import tiendo

PACKAGE = Path(tiendo.__file__).resolve().parent
ROOT = PACKAGE.parents[1]  # the checkout: pyproject.toml, src/
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path, src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def copy_python_sources(target: Path) -> None:
    for source in PACKAGE.rglob("*.py"):
        if "__pycache__" in source.parts:
            continue
        destination = target / source.relative_to(PACKAGE.parent)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)


def test_the_tree_keeps_the_layer_contract():
    result = lint_imports(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_planted_in_core_breaks_the_contract_and_is_named(tmp_path):
    copy_python_sources(tmp_path / "src")
    text = tmp_path / "src" / "tiendo" / "core" / "text.py"
    text.write_text(text.read_text(encoding="utf-8") + "\nimport tiendo.web  # planted\n", encoding="utf-8")
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")  # the contract, beside the copy
    result = lint_imports(tmp_path, tmp_path / "src")
    assert result.returncode != 0
    assert "tiendo.core is not allowed to import tiendo.web" in result.stdout
    assert "tiendo.core.text -> tiendo.web" in result.stdout
