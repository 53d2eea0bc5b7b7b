"""The expiry migration (reporting 0005): tokens made before expiry existed get one, TIENDO_TOKEN_DAYS
from the upgrade, so none stays valid for ever and none is cut off by the upgrade itself."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from tiendo.reporting.models import ApiToken
from tiendo.reporting.tokens import apitoken_authenticate, apitoken_create

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("tiendo.reporting.migrations.0005_apitoken_expiry_revocation")


def test_a_token_without_expiry_expires_the_default_days_after_the_upgrade_and_still_works_now(
    settings, office_admin, tinhkhe_reporter
):
    settings.TIENDO_TOKEN_DAYS = 30
    legacy = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="old", scopes=["read"])
    dated = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="new", scopes=["read"], days=2)
    ApiToken.objects.filter(pk=legacy.token.pk).update(expires_at=None)
    before = timezone.now()
    MIGRATION.expire_tokens_without_expiry(apps, None)
    expires = ApiToken.objects.get(pk=legacy.token.pk).expires_at
    assert before + timedelta(days=30) <= expires <= timezone.now() + timedelta(days=30)
    assert ApiToken.objects.get(pk=dated.token.pk).expires_at == dated.expires_at  # untouched
    assert apitoken_authenticate(legacy.secret) is not None
