"""Deadline reminders: N days before the deadline and N days after it, in-app and by e-mail, once each.

"Once" is the unique row (form, unit, period, kind) inserted in the same transaction as the
in-app notifications; the e-mail is sent inside that transaction, last, so a mail failure rolls the
row back and the next run tries again (a crash between the mail and the commit could repeat one
e-mail — the only duplicate possible). A unit with no reporters is not marked as reminded, so
reporters added later are reminded. One unit's failure never stops the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext

from tiendo.orgunits.models import Membership
from tiendo.reporting.models import DataSet, Notification, Reminder, Submission
from tiendo.reporting.periods import deadline, period_label, periods_of_year

logger = logging.getLogger(__name__)
LOOKBACK_DAYS = 60  # a worker that was down catches up, but never nags about last year's reports


@dataclass
class ReminderRun:
    sent: int = 0
    notifications: int = 0
    emails: int = 0
    skipped: int = 0  # units without a reporter to remind
    failed: int = 0


def reminders_send(*, today: date) -> ReminderRun:
    before_days = settings.TIENDO_REMINDER_DAYS_BEFORE
    after_days = settings.TIENDO_REMINDER_DAYS_AFTER
    run = ReminderRun()
    for dataset in DataSet.objects.prefetch_related("units"):
        for period in periods_of_year(dataset.period_type, today.year) + periods_of_year(
            dataset.period_type, today.year - 1
        ):
            due = deadline(period, days=dataset.deadline_days, working_days=dataset.working_days)
            if due < today - timedelta(days=LOOKBACK_DAYS):
                continue
            kind = None
            if due + timedelta(days=after_days) <= today:
                kind = Reminder.Kind.AFTER
            elif due - timedelta(days=before_days) <= today <= due:
                kind = Reminder.Kind.BEFORE
            if kind is None:
                continue
            done = set(
                Submission.objects.filter(
                    dataset=dataset,
                    period=period.identifier,
                    status__in=[Submission.Status.SUBMITTED, Submission.Status.APPROVED],
                ).values_list("unit_id", flat=True)
            )
            already = set(
                Reminder.objects.filter(dataset=dataset, period=period.identifier, kind=kind).values_list(
                    "unit_id", flat=True
                )
            )
            for unit in dataset.units.all():
                if unit.pk in done or unit.pk in already:
                    continue
                _send(run, dataset=dataset, unit=unit, period=period, kind=kind, due=due)
    return run


def _send(run: ReminderRun, *, dataset: DataSet, unit, period, kind: str, due: date) -> None:
    reporters = list(
        Membership.objects.filter(unit=unit, role=Membership.Role.REPORTER)
        .select_related("user")
        .values_list("user", "user__email")
    )
    link = reverse("submission", args=[dataset.code, unit.code, period.identifier])
    label = period_label(period)
    when = due.strftime("%d/%m/%Y")
    names = {"when": when, "form": dataset.symbol, "period": label, "unit": unit.name}
    if kind == Reminder.Kind.BEFORE:
        text = gettext("Sắp đến hạn %(when)s: %(form)s kỳ %(period)s của %(unit)s") % names
    else:
        text = gettext("Quá hạn %(when)s: %(form)s kỳ %(period)s của %(unit)s chưa được gửi") % names
    if not reporters:
        run.skipped += 1
        return
    try:
        with transaction.atomic():
            Reminder.objects.create(
                dataset=dataset,
                unit=unit,
                period=period.identifier,
                kind=kind,
                recipients=[e for _, e in reporters if e],
            )
            Notification.objects.bulk_create(
                [Notification(user_id=user_id, text=text, link=link) for user_id, _ in reporters]
            )
            emails = [email for _, email in reporters if email]
            if emails:
                send_mail(f"[tiendo] {text}", f"{text}\n\n{settings.TIENDO_SITE_URL}{link}\n", None, emails)
    except IntegrityError:  # another worker sent it at the same moment
        return
    except Exception:  # a mail server error: log it, leave no record, try again next run
        logger.exception("reminder %s %s %s %s not sent", kind, dataset.code, unit.code, period.identifier)
        run.failed += 1
        return
    run.sent += 1
    run.notifications += len(reporters)
    run.emails += len([e for _, e in reporters if e])
