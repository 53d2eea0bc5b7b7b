from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from tiendo.core.exceptions import NotFoundError
from tiendo.core.types import Actor
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.orgunits.selectors import scope_filter, unit_can_view_private, user_is_office_admin
from tiendo.reporting import expressions, permissions
from tiendo.reporting.models import (
    DataSet,
    DataSetElement,
    DataValue,
    Notification,
    Submission,
    ValidationRule,
)
from tiendo.reporting.periods import deadline, parse_period, period_label, periods_of_year
from tiendo.reporting.validation import Violation, check_values

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


def submission_get(*, user: User, submission_id: int) -> Submission:
    """One submission, if the user may read it (404 otherwise, so existence is not revealed)."""
    submission = (
        Submission.objects.select_related("dataset", "unit", "submitted_by", "decided_by")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or not permissions.can_read(user, submission.dataset, submission.unit):
        raise NotFoundError(field="id")
    return submission


def submission_list(
    *, user: User, dataset: DataSet | None = None, period: str | None = None, status: str | None = None
) -> QuerySet[Submission]:
    submissions = Submission.objects.select_related("dataset", "unit")
    if not user_is_office_admin(user):
        reviewer_units = (
            list(
                Membership.objects.filter(user=user, role=Membership.Role.REVIEWER).values_list(
                    "unit_id", flat=True
                )
            )
            if user.is_authenticated
            else []
        )
        submissions = submissions.filter(
            scope_filter(user, field="unit__path") | Q(dataset__reviewer_unit_id__in=reviewer_units)
        )
    if dataset is not None:
        submissions = submissions.filter(dataset=dataset)
    if period:
        submissions = submissions.filter(period=period)
    if status:
        submissions = submissions.filter(status=status)
    return submissions.order_by("-period", "dataset__code", "unit__name")


def dataset_list(*, user: User) -> QuerySet[DataSet]:
    """Forms are public (their titles, elements and legal basis are not secret)."""
    return DataSet.objects.order_by("code")


def dataset_get(*, user: User, code: str) -> DataSet:
    dataset = DataSet.objects.filter(code=code).first()
    if dataset is None:
        raise NotFoundError(field="dataSet")
    return dataset


@dataclass
class Assignment:
    """A form a user's unit must report, with its periods of the year and their state."""

    dataset: DataSet
    unit: OrgUnit
    periods: list[dict[str, Any]]


def assignments_for_user(*, user: User, year: int, today: date) -> list[Assignment]:
    """What the user's units report this year: each form × unit × period, with status and deadline."""
    if not user.is_authenticated:
        return []
    # the office's scope is everything; its own forms are those of the units it belongs to
    scope = Q(memberships__user=user) if user_is_office_admin(user) else scope_filter(user)
    units = OrgUnit.objects.filter(scope)
    datasets = DataSet.objects.filter(units__in=units).distinct().prefetch_related("units")
    submissions = {
        (s.dataset_id, s.unit_id, s.period): s
        for s in Submission.objects.filter(dataset__in=datasets, unit__in=units)
    }
    result = []
    unit_ids = set(units.values_list("pk", flat=True))
    for dataset in datasets:
        for unit in dataset.units.all():
            if unit.pk not in unit_ids:
                continue
            periods = []
            for period in periods_of_year(dataset.period_type, year):
                if period.start > today:
                    continue
                submission = submissions.get((dataset.pk, unit.pk, period.identifier))
                due = deadline(period, days=dataset.deadline_days, working_days=dataset.working_days)
                periods.append(
                    {
                        "period": period,
                        "label": period_label(period),
                        "due": due,
                        "submission": submission,
                        "overdue": (submission is None or submission.status in ("draft", "returned"))
                        and today > due,
                    }
                )
            result.append(Assignment(dataset, unit, periods))
    return result


@dataclass
class CompletenessRow:
    unit: OrgUnit
    submission: Submission | None
    on_time: bool | None

    @property
    def state(self) -> str:
        if self.submission is None or self.submission.status in ("draft",):
            return "missing"
        if self.submission.status == "returned":
            return "returned"
        return "on_time" if self.on_time else "late"


@dataclass
class Completeness:
    """DHIS2's reporting rates for one form and period: expected, actual, on time, late, missing."""

    dataset: DataSet
    period: str
    due: date
    rows: list[CompletenessRow]

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def submitted(self) -> int:
        return sum(1 for r in self.rows if r.state in ("on_time", "late"))

    @property
    def on_time(self) -> int:
        return sum(1 for r in self.rows if r.state == "on_time")

    @property
    def late(self) -> int:
        return sum(1 for r in self.rows if r.state == "late")

    @property
    def missing(self) -> int:
        return self.expected - self.submitted

    @property
    def approved(self) -> int:
        return sum(1 for r in self.rows if r.submission is not None and r.submission.status == "approved")

    @property
    def rate(self) -> float:
        return 100 * self.submitted / self.expected if self.expected else 0.0

    @property
    def timely_rate(self) -> float:
        return 100 * self.on_time / self.expected if self.expected else 0.0


def completeness(*, user: User, dataset: DataSet, period: str) -> Completeness:
    """For each unit the form is assigned to (within the user's scope): submitted, on time, late, missing."""
    parsed = parse_period(period)
    due = deadline(parsed, days=dataset.deadline_days, working_days=dataset.working_days)
    units = dataset.units.all().order_by("name")
    if not user_is_office_admin(user):
        units = units.filter(scope_filter(user))
    submissions = {s.unit_id: s for s in Submission.objects.filter(dataset=dataset, period=period)}
    rows = []
    for unit in units:
        submission = submissions.get(unit.pk)
        on_time = None
        if submission is not None and submission.submitted_at is not None:
            on_time = timezone.localtime(submission.submitted_at).date() <= due
        rows.append(CompletenessRow(unit, submission, on_time))
    return Completeness(dataset, period, due, rows)


def notifications_unread(*, user: User) -> QuerySet[Notification]:
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user, read_at__isnull=True).order_by("-created_at")


@dataclass
class Overdue:
    dataset: DataSet
    unit: OrgUnit
    period: str
    label: str
    due: date
    days_late: int
    submission: Submission | None


def overdue_list(*, user: User, today: date) -> list[Overdue]:
    """Reports past their deadline and not yet sent, this year and last, within the user's scope."""
    if not user.is_authenticated:
        return []
    scope = Q() if user_is_office_admin(user) else scope_filter(user)
    result: list[Overdue] = []
    for dataset in DataSet.objects.prefetch_related("units"):
        units = [u for u in dataset.units.filter(scope).order_by("name")]
        if not units:
            continue
        sent = {(s.unit_id, s.period): s for s in Submission.objects.filter(dataset=dataset, unit__in=units)}
        for period in periods_of_year(dataset.period_type, today.year - 1) + periods_of_year(
            dataset.period_type, today.year
        ):
            due = deadline(period, days=dataset.deadline_days, working_days=dataset.working_days)
            if due >= today:
                continue
            for unit in units:
                submission = sent.get((unit.pk, period.identifier))
                if submission is not None and submission.status in (
                    Submission.Status.SUBMITTED,
                    Submission.Status.APPROVED,
                ):
                    continue
                result.append(
                    Overdue(
                        dataset,
                        unit,
                        period.identifier,
                        period_label(period),
                        due,
                        (today - due).days,
                        submission,
                    )
                )
    result.sort(key=lambda o: (-o.days_late, o.dataset.code, o.unit.name))
    return result


def submissions_to_review(*, user: User) -> QuerySet[Submission]:
    """Submitted reports this user may approve or return, in one query (permissions.can_review as a filter)."""
    submitted = Submission.objects.filter(status=Submission.Status.SUBMITTED).select_related(
        "dataset", "unit"
    )
    if user_is_office_admin(user):
        return submitted.order_by("submitted_at")
    if not user.is_authenticated:
        return Submission.objects.none()
    reviewer_at = list(
        Membership.objects.filter(user=user, role=Membership.Role.REVIEWER).values_list(
            "unit_id", "unit__path"
        )
    )
    if not reviewer_at:
        return Submission.objects.none()
    condition = Q(dataset__reviewer_unit_id__in=[unit_id for unit_id, _ in reviewer_at])
    for _, path in reviewer_at:
        condition |= Q(unit__path__startswith=path)
    return submitted.filter(condition).order_by("submitted_at")


def form_layout(dataset: DataSet) -> tuple[list[DataSetElement], list[ValidationRule]]:
    """A form's elements in the order they are shown (by section), and its validation rules."""
    return list(
        dataset.form_elements.select_related("element", "section").order_by("section__sort", "sort")
    ), list(dataset.rules.all())


def current_values(submission: Submission) -> dict[str, DataValue]:
    """The stored values of the submission's form, unit and period, by element code."""
    return {
        v.data_element.code: v
        for v in DataValue.objects.filter(
            data_element__form_elements__dataset=submission.dataset,
            unit=submission.unit,
            period=submission.period,
        ).select_related("data_element")
    }


def previous_values(submission: Submission) -> dict[str, Decimal | None]:
    """The unit's values of the period before (same period type), approved or not stated by a report."""
    period = parse_period(submission.period)
    periods = periods_of_year(submission.dataset.period_type, period.start.year) + periods_of_year(
        submission.dataset.period_type, period.start.year - 1
    )
    earlier = sorted((p for p in periods if p.end < period.start), key=lambda p: p.end)
    if not earlier:
        return {}
    before = earlier[-1].identifier
    return {
        v.data_element.code: v.value
        for v in DataValue.objects.filter(
            data_element__form_elements__dataset=submission.dataset, unit=submission.unit, period=before
        ).select_related("data_element")
    }


def submission_validate(
    *,
    submission: Submission,
    values: dict[str, Decimal | None] | None = None,
    texts: dict[str, str] | None = None,
    stored: dict[str, DataValue] | None = None,
) -> list[Violation]:
    """Check typed `values` (or, without them, the stored ones; pass `stored` if already read)."""
    form_elements, rules = form_layout(submission.dataset)
    if values is None:
        stored = current_values(submission) if stored is None else stored
        values = {code: v.value for code, v in stored.items()}
        texts = {code: v.text_value for code, v in stored.items()}
    return check_values(
        form_elements=form_elements,
        rules=rules,
        values=values,
        texts=texts,
        previous=previous_values(submission),
    )


def rule_elements(submission: Submission, rule_code: str) -> set[str]:
    """The element codes a rule names: a warning is explained by a comment on one of them."""
    rule = submission.dataset.rules.filter(code=rule_code).first()
    return expressions.names(rule.expression) if rule is not None else set()


def is_on_time(submission: Submission) -> bool | None:
    """Whether the report was sent by its deadline (None: not sent)."""
    if submission.submitted_at is None:
        return None
    return timezone.localtime(submission.submitted_at).date() <= due_date(
        submission.dataset, submission.period
    )


def due_date(dataset: DataSet, period: str) -> date:
    """The deadline of the form's report for the period."""
    return deadline(parse_period(period), days=dataset.deadline_days, working_days=dataset.working_days)


def submission_for_reading(*, user: User, dataset_code: str, unit_code: str, period: str) -> Submission:
    """An existing submission the user may read (404 otherwise: existence is not revealed)."""
    submission = (
        Submission.objects.filter(dataset__code=dataset_code, unit__code=unit_code, period=period)
        .select_related("dataset__reviewer_unit", "unit__parent", "submitted_by", "decided_by")
        .first()
    )
    if submission is None or not permissions.can_read(user, submission.dataset, submission.unit):
        raise NotFoundError()
    return submission
