import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_it_was_asked_for():
    """scripts/test.sh runs the suite twice; this proves the second run is really on PostgreSQL."""
    expected = os.environ.get("TIENDO_EXPECT_DB")
    if expected is None:
        pytest.skip("TIENDO_EXPECT_DB is not set (scripts/test.sh sets it)")
    assert connection.vendor == expected
