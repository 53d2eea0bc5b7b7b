"""Shared fixtures: the shipped units and plans loaded once per test session, and personas.

Personas (healthchecks' alice/bob/charlie idea, with our roles):
  office_admin    – CĐS office, admin at the province (sees everything)
  skhcn_reviewer  – reviewer at Sở Khoa học và Công nghệ
  tinhkhe_reporter, tinhkhe_reviewer, tinhkhe_viewer – reporter, reviewer (leader), viewer at Xã Tịnh Khê (21211)
  other_viewer    – viewer at another commune (Phường Trương Quang Trọng, 21172)
"""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.plans.indicator_sources import forms_load
from tiendo.plans.services import SHIPPED_PLANS, SHIPPED_PLANS_DIR, plan_load
from tiendo.reporting.forms_load import SHIPPED_FORMS

IN_CI = os.environ.get("CI", "").lower() == "true"


def load_shipped_data() -> None:
    from tiendo.opendata.reference import reference_load

    reference_load()  # licences and themes (migration data: a transactional test's flush removes it)
    call_command("load_units", province=51, stdout=StringIO())
    for name in SHIPPED_PLANS:
        plan_load(path=SHIPPED_PLANS_DIR / name)
    forms_load(path=SHIPPED_FORMS)


@pytest.fixture(autouse=True)
def no_brief_cache(settings):
    """Every write is seen at once in tests (tests of the cache itself turn it back on)."""
    settings.TIENDO_ANALYTICS_CACHE_SECONDS = 0
    settings.TIENDO_CATALOGUE_CACHE_SECONDS = 0


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_shipped_data()


@pytest.fixture
def shipped_data(db):
    """The units and plans (loaded once per session; each test runs in a rolled-back transaction)."""
    if not OrgUnit.objects.filter(code="51").exists():  # after a transactional test flushed the tables
        load_shipped_data()


def make_user(username: str, unit_code: str | None, role: str | None, *, superuser: bool = False):
    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, is_superuser=superuser, is_staff=superuser
    )
    if unit_code and role:
        Membership.objects.create(user=user, unit=OrgUnit.objects.get(code=unit_code), role=role)
    return user


@pytest.fixture
def office_admin(shipped_data):
    return make_user("office", "51", Membership.Role.ADMIN)


@pytest.fixture
def skhcn_reviewer(shipped_data):
    return make_user("skhcn", "SKHCN", Membership.Role.REVIEWER)


@pytest.fixture
def tinhkhe_reporter(shipped_data):
    return make_user("tinhkhe.reporter", "21211", Membership.Role.REPORTER)


@pytest.fixture
def tinhkhe_reviewer(shipped_data):
    return make_user("tinhkhe.reviewer", "21211", Membership.Role.REVIEWER)


@pytest.fixture
def tinhkhe_viewer(shipped_data):
    return make_user("tinhkhe.viewer", "21211", Membership.Role.VIEWER)


@pytest.fixture
def other_viewer(shipped_data):
    return make_user("other.viewer", "21172", Membership.Role.VIEWER)


@pytest.fixture(autouse=True)
def _vietnamese_first():
    """Each test starts in Vietnamese, as a reader does. A request the test client makes activates
    its language in this thread and nothing deactivates it (an English request would otherwise
    leave the next test, in another file, reading English)."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only, tests only


@pytest.fixture
def small_forms(tmp_path, shipped_data):
    """The sample forms file (reporting/tests/sample_forms.py) loaded over the shipped ones."""
    from tiendo.reporting.tests.sample_forms import SMALL_FORMS

    path = tmp_path / "forms.yaml"
    path.write_text(SMALL_FORMS, encoding="utf-8")
    forms_load(path=path)
    return path


# Accounts (issue 10): admins and reviewers need a second factor. The `client` fixture signs a
# persona in with a verified TOTP device, as if they had typed the code, so tests about other
# things keep using `client.force_login(persona)`; `force_login(user, verified=False)` does not.
def verify_second_factor(client, user):
    """Give `user` a confirmed TOTP device (when missing) and mark the client's session verified."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


class SecondFactorClient(Client):
    def force_login(self, user, backend=None, *, verified=True):
        super().force_login(user, backend)
        from django.conf import settings

        from tiendo.orgunits.selectors import user_requires_second_factor

        if verified and settings.TIENDO_REQUIRE_2FA and user_requires_second_factor(user):
            verify_second_factor(self, user)


@pytest.fixture
def client():
    return SecondFactorClient()
