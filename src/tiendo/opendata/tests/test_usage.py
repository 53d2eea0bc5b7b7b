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
