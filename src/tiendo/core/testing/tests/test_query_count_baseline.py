import json

import pytest
from django.contrib.auth import get_user_model

from tiendo.core.testing import UPDATE_ENV_VAR, QueryCountBaseline, QueryCountError

pytestmark = pytest.mark.django_db


def two_queries() -> None:
    users = get_user_model().objects
    users.filter(username="a").exists()
    users.filter(username="b").exists()


@pytest.fixture
def baseline(tmp_path, monkeypatch):
    monkeypatch.delenv(UPDATE_ENV_VAR, raising=False)
    path = tmp_path / "query_counts.json"
    path.write_text(json.dumps({"exact": 2, "too-low": 1, "too-high": 3}), encoding="utf-8")
    return QueryCountBaseline(path)


def test_the_recorded_figure_passes(baseline):
    with baseline.expect("exact"):
        two_queries()


def test_more_queries_than_recorded_fail_and_list_them(baseline):
    with pytest.raises(QueryCountError) as raised, baseline.expect("too-low"):
        two_queries()
    message = str(raised.value)
    assert "too-low: 2 queries, 1 recorded in query_counts.json (1 more)" in message
    assert "    1. SELECT" in message and "    2. SELECT" in message


def test_fewer_queries_than_recorded_fail_and_ask_to_lower_the_figure(baseline):
    with pytest.raises(
        QueryCountError, match=r"Lower the figure to 2 \(run with TIENDO_UPDATE_QUERY_COUNTS=1\)"
    ):
        with baseline.expect("too-high"):
            two_queries()


def test_a_name_without_a_figure_fails_and_says_how_to_record_it(baseline):
    with pytest.raises(
        QueryCountError, match="No query count recorded for 'new'.*TIENDO_UPDATE_QUERY_COUNTS=1"
    ):
        with baseline.expect("new"):
            two_queries()


def test_the_update_variable_rewrites_the_figures_sorted(baseline, monkeypatch):
    monkeypatch.setenv(UPDATE_ENV_VAR, "1")
    with baseline.expect("too-high"):
        two_queries()
    with baseline.expect("new"):
        two_queries()
    text = baseline.path.read_text(encoding="utf-8")
    assert json.loads(text) == {"exact": 2, "new": 2, "too-high": 2, "too-low": 1}
    assert text.index('"exact"') < text.index('"new"') < text.index('"too-high"')


def test_a_file_that_is_not_an_object_of_counts_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(UPDATE_ENV_VAR, raising=False)
    path = tmp_path / "query_counts.json"
    path.write_text('{"page": "many"}', encoding="utf-8")
    with pytest.raises(QueryCountError, match="one JSON object of query counts"):
        QueryCountBaseline(path).figures()
