from __future__ import annotations

from django.db.models import QuerySet

from tiendo.core.exceptions import NotFoundError
from tiendo.core.types import Actor
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import unit_can_view_private
from tiendo.reporting.models import DataValue

User = Actor


def datavalues_for_unit(*, user: User, unit: OrgUnit) -> QuerySet[DataValue]:
    """A unit's own data values: private to the unit and the units above it (404 for others)."""
    if not unit_can_view_private(user, unit):
        raise NotFoundError()
    return (
        DataValue.objects.filter(unit=unit)
        .select_related("data_element", "stored_by")
        .order_by("-period", "data_element__code")
    )
