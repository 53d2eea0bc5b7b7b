"""Properties of the dossier counts (hypothesis): whatever batches arrive, in whatever order,

- the counts kept by the imports equal a recount from the dossiers (the incremental upkeep is exact);
- each count equals a plain count of the stored dossiers by the rule written out here again;
- the communes sum to the province, the months to the quarters, halves and the year;
- a rate over the province is the ratio of the sums, not the mean of the units' rates;
- the Python and SQL forms of the flags agree.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiendo.analytics.drilldown import indicator_by_unit
from tiendo.analytics.feed import (
    COUNTED,
    DERIVED,
    dossier_flags,
    dossiers_derive,
    dossiers_import,
    feed_column,
    feed_totals,
    feed_unit_sums,
    flags_sql,
)
from tiendo.analytics.models import Dossier, DossierCount
from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Indicator
from tiendo.reporting.models import DataElement

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UNITS = ["21211", "21172", "SKHCN"]
HEADER = [
    "dossier_id", "procedure_code", "level", "unit_code", "received_at", "due_at", "resolved_at", "channel",
    "vneid", "result_eligible", "result_electronic", "rating", "status", "simulated",
]  # fmt: skip
EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def dossier(draw, ids):
    received = datetime(2026, 1, 1, tzinfo=TZ) + timedelta(hours=draw(st.integers(0, 24 * 364)))
    status = draw(st.sampled_from(["received", "processing", "resolved", "cancelled"]))
    resolved = received + timedelta(hours=draw(st.integers(0, 400))) if status == "resolved" else None
    due = received + timedelta(hours=draw(st.integers(0, 300))) if draw(st.booleans()) else None
    return {
        "dossier_id": draw(ids),
        "procedure_code": "1.001",
        "level": "xa",
        "unit_code": draw(st.sampled_from(UNITS)),
        "received_at": received.isoformat(),
        "due_at": due.isoformat() if due else "",
        "resolved_at": resolved.isoformat() if resolved else "",
        "channel": draw(st.sampled_from(["truc_tiep", "mot_phan", "toan_trinh"])),
        "vneid": draw(st.sampled_from(["0", "1"])),
        "result_eligible": draw(st.sampled_from(["0", "1"])),
        "result_electronic": draw(st.sampled_from(["0", "1"])),
        "rating": draw(st.sampled_from(["", "1", "3", "4", "5"])),
        "status": status,
        "simulated": draw(st.sampled_from(["0", "1"])),
    }


def batch_of(records):
    unique = {r["dossier_id"]: r for r in records}  # a file names each dossier once
    return "\n".join([",".join(HEADER)] + [",".join(r[c] for c in HEADER) for r in unique.values()]) + "\n"


batches = st.lists(
    st.lists(dossier(st.sampled_from([f"D{i}" for i in range(30)])), min_size=1, max_size=25),
    min_size=1,
    max_size=4,
)


def kept_counts():
    return {(c.unit_id, c.month): tuple(getattr(c, n) for n in COUNTED) for c in DossierCount.objects.all()}


def expected_counts():
    """The rule written out again, over the stored dossiers: an oracle independent of the flags."""
    expected: dict = {}
    for d in Dossier.objects.all():
        online = d.channel in ("mot_phan", "toan_trinh")
        resolved = d.status == "resolved" and d.resolved_at is not None
        row = [
            1,
            online,
            d.channel == "toan_trinh",
            online and d.vneid,
            resolved,
            resolved and (d.due_at is None or d.resolved_at <= d.due_at),
            resolved and d.result_eligible,
            resolved and d.result_eligible and d.result_electronic,
            online and d.rating is not None,
            online and d.rating is not None and d.rating >= 4,
            d.is_simulated,
        ]
        cell = expected.setdefault((d.unit_id, d.received_month), [0] * len(row))
        for i, counted in enumerate(row):
            cell[i] += int(bool(counted))
    return {key: tuple(value) for key, value in expected.items()}


def load(batches):
    """A fresh start (hypothesis runs many examples in one test), then each batch as one import."""
    Dossier.objects.all().delete()
    DossierCount.objects.all().delete()
    for records in batches:
        dossiers_import(text=batch_of(records))


@EXAMPLES
@given(batches=batches)
def test_the_counts_kept_by_any_sequence_of_imports_equal_a_recount(shipped_data, batches):
    load(batches)
    kept = kept_counts()
    assert kept == expected_counts()
    dossiers_import(text=batch_of(batches[-1]))  # the last batch again: idempotent
    assert kept_counts() == kept
    dossiers_derive(year=2026)
    assert kept_counts() == kept


@EXAMPLES
@given(batches=batches)
def test_communes_sum_to_the_province_and_months_to_the_year(shipped_data, batches):
    load(batches)
    province = OrgUnit.objects.get(code="51")
    elements = dict(DataElement.objects.filter(code__in=DERIVED).values_list("pk", "code"))
    columns = {pk: feed_column(code) for pk, code in elements.items()}
    totals = feed_totals(columns=columns, province=province)
    for element_id in elements:
        year = totals[(element_id, "2026")].total if (element_id, "2026") in totals else 0
        by_unit = feed_unit_sums(columns={element_id: columns[element_id]}, province=province, period="2026")
        assert sum(by_unit.values()) == year  # units → province
        for kind in (
            [f"2026{m:02d}" for m in range(1, 13)],
            [f"2026Q{q}" for q in range(1, 5)],
            ["2026S1", "2026S2"],
        ):
            assert sum(totals[(element_id, p)].total for p in kind if (element_id, p) in totals) == year


@EXAMPLES
@given(batches=batches)
def test_a_provincial_rate_is_the_ratio_of_the_sums(shipped_data, batches):
    load(batches)
    indicator = Indicator.objects.select_related("numerator", "denominator", "plan__province").get(
        plan__code="quang-ngai-2026", group__code="I", number="1"
    )
    drill = indicator_by_unit(indicator, period="2026")
    reported = drill.reported
    if not reported:
        return
    numerator = sum(r.numerator for r in reported)
    denominator = sum(r.denominator for r in reported)
    from tiendo.analytics.formulas import computed_values

    year = next(v for v in computed_values([indicator])[indicator.pk] if v.period == "2026")
    assert round(year.value, 4) == round(Decimal(numerator) / Decimal(denominator) * 100, 4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    channel=st.sampled_from(["truc_tiep", "mot_phan", "toan_trinh"]),
    status=st.sampled_from(["received", "processing", "resolved", "cancelled"]),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()),
    rating=st.sampled_from([None, 1, 2, 3, 4, 5]),
    resolved_after=st.one_of(st.none(), st.integers(0, 100)),
    due_after=st.one_of(st.none(), st.integers(0, 100)),
)
def test_the_python_and_sql_flags_agree(db, channel, status, flags, rating, resolved_after, due_after):
    received = datetime(2026, 5, 1, 8, tzinfo=TZ)
    resolved = received + timedelta(hours=resolved_after) if resolved_after is not None else None
    due = received + timedelta(hours=due_after) if due_after is not None else None
    vneid, eligible, electronic, simulated = flags
    python = dossier_flags(
        channel=channel,
        vneid=vneid,
        status=status,
        due_at=due,
        resolved_at=resolved,
        result_eligible=eligible,
        result_electronic=electronic,
        rating=rating,
        simulated=simulated,
    )
    values = {
        "channel": channel,
        "vneid": vneid,
        "status": status,
        "due_at": due,
        "resolved_at": resolved,
        "result_eligible": eligible,
        "result_electronic": electronic,
        "rating": rating,
        "simulated": simulated,
    }
    casts = {"vneid", "result_eligible", "result_electronic", "simulated"}
    typed = {"due_at", "resolved_at"}
    columns = {}
    params = []
    for name in values:
        if name in typed and connection.vendor == "postgresql":
            columns[name] = "CAST(%s AS timestamptz)"
        elif name in casts and connection.vendor == "postgresql":
            columns[name] = "CAST(%s AS boolean)"
        elif name == "rating" and connection.vendor == "postgresql":
            columns[name] = "CAST(%s AS smallint)"
        else:
            columns[name] = "%s"
    # each column may appear several times in the expression: name every use's parameter in order
    expression = flags_sql({name: f"__{name}__" for name in values})
    order = []
    position = 0
    while True:
        found = [(expression.find(f"__{n}__", position), n) for n in values]
        found = [(i, n) for i, n in found if i >= 0]
        if not found:
            break
        index, name = min(found)
        order.append(name)
        position = index + len(name) + 4
    for name in values:
        expression = expression.replace(f"__{name}__", columns[name])
    adapt = connection.ops.adapt_datetimefield_value
    for name in order:
        value = values[name]
        params.append(adapt(value) if name in typed and value is not None else value)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expression}", params)
        assert cursor.fetchone()[0] == python
