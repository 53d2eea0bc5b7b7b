"""The catalogue's background work (django-tasks): the worker runs it hourly."""

from __future__ import annotations

from django_tasks import task


@task()
def opendata_feed_task() -> dict[str, int]:
    """This quarter's II.7 figures from the catalogue (tiendo opendata-feed)."""
    from tiendo.opendata.feeds import catalogue_feed_apply

    report = catalogue_feed_apply()
    return {"publishers": report.publishers, "datasets": report.datasets, "changed": report.changed}
