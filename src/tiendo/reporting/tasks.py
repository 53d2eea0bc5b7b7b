"""Background tasks (django-tasks, the backport of Django 6's tasks framework)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from tiendo.reporting.reminders import reminders_send


@task()
def send_reminders() -> dict[str, int]:
    run = reminders_send(today=timezone.localdate())
    return {"sent": run.sent, "notifications": run.notifications, "emails": run.emails}
