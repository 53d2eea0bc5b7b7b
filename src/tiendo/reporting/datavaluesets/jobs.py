"""`async=true`: the import as a background job (django-tasks; `tiendo worker` runs the queue).

The job's result is the ImportSummary. A backend that keeps results (the database queue) answers
the status endpoints from its own table; one that does not (the immediate backend of tests and
small set-ups, which runs the job before `enqueue` returns) has its finished result kept in the
cache for a day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch

from tiendo.core.types import Actor
from tiendo.reporting.datavaluesets.apply import datavalueset_import
from tiendo.reporting.datavaluesets.schema import IdSchemes

CACHE_SECONDS = 24 * 3600
_JOB_ID = re.compile(r"[-\w]{1,64}", re.ASCII)
_CACHE_KEY = "tiendo:dvs-job:{}"


@task()
def datavalueset_import_job(*, user_id: int, payload: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Run an import in the background; its ImportSummary (DHIS2's shape) is the result."""
    # the starter as they are now: one deactivated since the request (left the office) imports nothing
    actor: Actor = get_user_model().objects.filter(pk=user_id, is_active=True).first() or AnonymousUser()
    options = dict(options)  # the stored job's arguments stay as they were
    schemes = IdSchemes(**options.pop("id_schemes"))
    summary = datavalueset_import(actor=actor, payload=payload, id_schemes=schemes, **options)
    response: dict[str, Any] = summary.as_dhis2()["response"]
    return response


@dataclass
class JobStatus:
    id: str
    user_id: int
    finished: bool
    failed: bool
    summary: dict[str, Any] | None
    enqueued_at: str


def datavalueset_import_enqueue(*, actor: Actor, payload: Any, options: dict[str, Any]) -> str:
    """Queue the import; its job id (for /api/system/tasks/DATAVALUE_IMPORT/{id})."""
    user_id = int(actor.pk or 0)
    result = datavalueset_import_job.enqueue(user_id=user_id, payload=payload, options=options)
    if not result.task.get_backend().supports_get_result:
        cache.set(_CACHE_KEY.format(result.id), _status(result), CACHE_SECONDS)
    return str(result.id)


def _status(result: Any) -> JobStatus:
    finished = result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)
    return JobStatus(
        id=str(result.id),
        user_id=int(result.kwargs.get("user_id", 0)),
        finished=finished,
        failed=result.status == TaskResultStatus.FAILED,
        summary=result.return_value if result.status == TaskResultStatus.SUCCESSFUL else None,
        enqueued_at=(result.enqueued_at.isoformat(timespec="milliseconds") if result.enqueued_at else ""),
    )


def datavalueset_job_status(*, actor: Actor, job_id: str) -> JobStatus | None:
    """The job's status, or None when there is none or it is another user's."""
    if not _JOB_ID.fullmatch(job_id):
        return None
    status: JobStatus | None = cache.get(_CACHE_KEY.format(job_id))
    if status is None and datavalueset_import_job.get_backend().supports_get_result:
        try:
            status = _status(datavalueset_import_job.get_result(job_id))
        except (TaskResultDoesNotExist, TaskResultMismatch, ValidationError, ValueError):
            return None
    if status is None or (status.user_id != actor.pk and not getattr(actor, "is_superuser", False)):
        return None
    return status
