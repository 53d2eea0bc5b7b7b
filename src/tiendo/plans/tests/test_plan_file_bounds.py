"""The probe's reproducer: an 11 KB plan expanded through anchors to a million indicators (60 s,
3.6 GB). Plan and form files now refuse anchors and aliases, deep nesting and oversized files, with
the line, and nothing is loaded."""

import time

import pytest
from django.utils import translation

from tiendo.core.models import AuditLog
from tiendo.core.yamlfile import FileValidationError, YamlDocument
from tiendo.plans.indicator_sources import forms_load
from tiendo.plans.models import Indicator, Plan
from tiendo.plans.services import plan_load
from tiendo.plans.tests.test_plan_load import SMALL_PLAN

pytestmark = pytest.mark.django_db


def billion_laughs(levels: int = 9) -> str:
    """Each level repeats the one before ten times: 10**levels indicators from a few kilobytes."""
    lines = [
        '  - &l0 {number: "1", name: x, target: "1", target_value: 1, direction: higher, lead: [VPUBND]}'
    ]
    for level in range(1, levels + 1):
        lines.append(f"  - &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    return "laughs:\n" + "\n".join(lines) + "\n"


def refused(tmp_path, text: str, name: str = "plan.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    before = (Plan.objects.count(), Indicator.objects.count(), AuditLog.objects.count())
    started = time.monotonic()
    with translation.override("en"), pytest.raises(FileValidationError) as caught:
        plan_load(path=path) if name == "plan.yaml" else forms_load(path=path)
    assert time.monotonic() - started < 5
    assert (Plan.objects.count(), Indicator.objects.count(), AuditLog.objects.count()) == before
    return caught.value.errors


def test_an_anchor_bomb_plan_is_refused_at_its_first_anchor_in_milliseconds(tmp_path, shipped_data):
    errors = refused(tmp_path, SMALL_PLAN + billion_laughs())
    line = SMALL_PLAN.count("\n") + 2
    assert errors == [f"plan.yaml:{line}: broken YAML: YAML anchors and aliases (&, *) are not allowed"]


def test_a_merge_key_is_an_alias_too(tmp_path, shipped_data):
    text = SMALL_PLAN.replace("plan:\n", "base: &b {year: 2027}\nplan:\n  <<: *b\n", 1)
    assert "anchors and aliases (&, *) are not allowed" in refused(tmp_path, text)[0]


def test_a_forms_file_with_an_alias_is_refused_the_same_way(tmp_path, shipped_data):
    assert "plan.yaml" not in refused(tmp_path, "forms:\n  - &a {code: X}\n  - *a\n", name="forms.yaml")[0]


def test_deep_nesting_is_refused_with_its_line(tmp_path, shipped_data):
    errors = refused(tmp_path, SMALL_PLAN + "deep: " + "[" * 5000 + "]" * 5000 + "\n")
    assert errors[0].startswith(
        f"plan.yaml:{SMALL_PLAN.count(chr(10)) + 1}: broken YAML: nested too deeply (at most 20"
    )


def test_a_file_over_the_size_bound_is_refused_before_it_is_read(tmp_path, shipped_data, monkeypatch):
    monkeypatch.setattr("tiendo.core.yamlfile.MAX_BYTES", 1024)
    assert refused(tmp_path, SMALL_PLAN + "#" * 2048 + "\n")[0].startswith("plan.yaml: file too large (")


def test_a_plain_file_still_loads_with_its_lines(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("a:\n  b: [1, 2]\n  c: x\n", encoding="utf-8")
    document = YamlDocument.load(path)
    assert document.data == {"a": {"b": [1, 2], "c": "x"}}
    assert document.line_of(["a", "c"]) == 3


def test_an_impossible_date_is_refused_with_its_line_not_a_traceback(tmp_path, shipped_data):
    """Found by the hypothesis run: PyYAML's ValueError for 2027-02-30 escaped as a traceback."""
    errors = refused(tmp_path, SMALL_PLAN.replace("ends_on: 2027-12-31", "ends_on: 2027-02-30"))
    assert errors == ["plan.yaml:6: broken YAML: invalid value (day is out of range for month)"]


def test_an_unprintable_character_is_refused_not_a_traceback(tmp_path, shipped_data):
    """Found by the hypothesis run: the reader's error came before the parse was guarded."""
    assert "broken YAML" in refused(tmp_path, SMALL_PLAN + "\x1f\n")[0]
