"""hypothesis over the plan and form loaders with hostile YAML: any text, anchors and aliases, tags,
deep nesting, mutations of a real plan. A load either succeeds or raises the domain error — never
another exception — and a refusal loads nothing."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiendo.core.exceptions import ApplicationError
from tiendo.core.models import AuditLog
from tiendo.plans.indicator_sources import forms_load
from tiendo.plans.models import Indicator, Plan
from tiendo.plans.services import plan_load
from tiendo.plans.tests.test_plan_load import SMALL_PLAN
from tiendo.reporting.models import DataSet

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TOKENS = st.sampled_from(
    [
        "&a ",
        "*a",
        "<<: *a\n",
        "!!python/object:os.system ",
        "!!binary ",
        "- ",
        ": ",
        "[",
        "]",
        "{",
        "}",
        "\n",
        "  ",
        "? ",
        "|\n",
        ">\n",
        "%YAML 1.1\n",
        "---\n",
        "...\n",
        "\t",
        "'",
        '"',
        "#",
        "~",
        "null",
        "1e400",
        ".nan",
        "2027-02-30",
        "\x00",
        "\ufeff",
    ]
)
HOSTILE = st.lists(st.one_of(TOKENS, st.text(max_size=8)), max_size=30).map("".join)


def counts():
    return Plan.objects.count(), Indicator.objects.count(), DataSet.objects.count(), AuditLog.objects.count()


def load_or_refuse(tmp_path, text: str, *, forms: bool) -> None:
    path = tmp_path / ("forms.yaml" if forms else "plan.yaml")
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = counts()
    try:
        (forms_load if forms else plan_load)(path=path)
    except ApplicationError:
        assert counts() == before


@FUZZ
@given(text=HOSTILE, forms=st.booleans())
def test_any_yaml_text_is_loaded_or_refused_whole(tmp_path, shipped_data, text, forms):
    load_or_refuse(tmp_path, text, forms=forms)


@FUZZ
@given(at=st.integers(min_value=0), insert=HOSTILE, cut=st.integers(min_value=0, max_value=20))
def test_a_real_plan_mutated_anywhere_is_loaded_or_refused_whole(tmp_path, shipped_data, at, insert, cut):
    at %= len(SMALL_PLAN)
    load_or_refuse(tmp_path, SMALL_PLAN[:at] + insert + SMALL_PLAN[at + cut :], forms=False)
