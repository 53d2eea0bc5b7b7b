import pytest

from tiendo.plans.indicator_sources import forms_load
from tiendo.plans.models import Indicator
from tiendo.reporting.forms_load import SHIPPED_FORMS
from tiendo.reporting.models import DataSet

pytestmark = pytest.mark.django_db


def test_every_2026_indicator_has_a_declared_source(shipped_data):
    indicators = Indicator.objects.filter(plan__code="quang-ngai-2026")
    assert indicators.count() == 34
    assert not indicators.filter(numerator__isnull=True).exists()
    sources = {i.source for i in indicators}
    assert sources <= {"form", "feed", "manual"}
    for indicator in indicators.filter(source="form"):
        assert indicator.source_form is not None, indicator
        assert indicator.source_form.form_elements.filter(element=indicator.numerator).exists(), indicator


def test_the_commune_form_goes_to_all_96_communes_quarterly(shipped_data):
    commune_form = DataSet.objects.get(code="CDS-XA-Q")
    assert commune_form.units.count() == 96
    assert commune_form.period_type == "quarterly"
    lan = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="II", number="2")
    assert lan.source == "form"


def test_the_dossier_indicators_are_declared_as_a_feed(shipped_data):
    for number in ("1", "5", "6"):
        indicator = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="I", number=number)
        assert (indicator.source, indicator.source_feed) == ("feed", "dossiers")


def test_loading_the_shipped_forms_again_changes_nothing(shipped_data):
    assert not forms_load(path=SHIPPED_FORMS).changed
