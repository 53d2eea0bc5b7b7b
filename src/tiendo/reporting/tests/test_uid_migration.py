"""The UID migrations fill the rows that existed before them, with the UIDs a new install derives."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tiendo.core.uids import uid_for

BEFORE = [("reporting", "0005_apitoken_expiry_revocation"), ("orgunits", "0002_boundaries")]
AFTER = [("reporting", "0007_dhis2_uids"), ("orgunits", "0003_orgunit_dhis2_uid")]


@pytest.mark.django_db(transaction=True)
def test_the_uid_migrations_fill_existing_units_forms_and_elements():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        old.get_model("orgunits", "OrgUnit").objects.create(
            code="99999", name="Xã thử", kind="commune", path="/99999/"
        )
        old.get_model("reporting", "DataElement").objects.create(code="OLD_EL", name="Cũ")
        old.get_model("reporting", "DataSet").objects.create(
            code="OLD-F", symbol="01", title="Cũ", period_type="yearly"
        )
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        assert new.get_model("orgunits", "OrgUnit").objects.get(code="99999").uid == uid_for(
            "orgunit", "99999"
        )
        assert new.get_model("reporting", "DataElement").objects.get(code="OLD_EL").uid == uid_for(
            "dataelement", "OLD_EL"
        )
        assert new.get_model("reporting", "DataSet").objects.get(code="OLD-F").uid == uid_for(
            "dataset", "OLD-F"
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(leaves)


@pytest.mark.django_db
def test_a_new_record_taking_a_renamed_records_old_code_gets_its_own_uid_not_a_crash(shipped_data):
    """A UID is derived from the code once and kept when the code changes; a later record given the
    old code derives the same UID, which must not break its save (the unique constraint)."""
    from tiendo.reporting.models import DataElement

    first = DataElement.objects.create(code="R2_OLD", name="cũ", value_type="integer")
    first.code = "R2_NEW"
    first.save()
    second = DataElement.objects.create(code="R2_OLD", name="mới", value_type="integer")
    assert second.uid != first.uid and len(second.uid) == 11
    assert first.uid == uid_for("dataelement", "R2_OLD")
    assert DataElement.objects.get(pk=second.pk).uid == second.uid
