"""Usage per dataset and month: each use counted once, shown only to who may list the dataset."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tiendo.core.exceptions import NotFoundError
from tiendo.opendata.selectors import dataset_usage
from tiendo.opendata.services import dataset_create, usage_record
from tiendo.opendata.tests.conftest import health_fields, published_health_dataset

pytestmark = pytest.mark.django_db


def test_each_use_is_counted_in_this_months_row_by_kind(syt_admin):
    dataset = published_health_dataset(syt_admin)

    for kind in ("download", "download", "api", "page"):
        usage_record(dataset=dataset, kind=kind)

    [month] = dataset_usage(user=AnonymousUser(), dataset=dataset)
    assert (month["page"], month["download"], month["api"]) == (1, 2, 1)


def test_a_drafts_usage_is_not_shown_to_the_public(syt_admin):
    draft = dataset_create(actor=syt_admin, fields=health_fields())
    usage_record(dataset=draft, kind="page")

    with pytest.raises(NotFoundError):
        dataset_usage(user=AnonymousUser(), dataset=draft)
    assert dataset_usage(user=syt_admin, dataset=draft)[0]["page"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_use_counted_on_its_own_commits_without_waiting_and_leaves_the_connection_as_it_was(
    shipped_data, syt_admin
):
    """On PostgreSQL a use's own transaction does not wait for the disk; the setting is the
    transaction's alone (SET LOCAL), so the next write on the connection waits as usual."""
    from django.db import connection

    dataset = published_health_dataset(syt_admin)
    usage_record(dataset=dataset, kind="api")
    usage_record(dataset=dataset, kind="api")
    assert dataset_usage(user=AnonymousUser(), dataset=dataset)[0]["api"] == 2
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
