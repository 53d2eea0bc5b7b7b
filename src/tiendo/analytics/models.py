from __future__ import annotations

from datetime import datetime, timedelta, timezone

from django.db import models
from django.utils.translation import gettext_lazy as _

from tiendo.orgunits.models import OrgUnit

# Every time of a dossier lies in this window, Vietnamese time (UTC+7, no daylight saving): from
# 2000-01-01 00:00 to 2100-12-31 24:00. The feed's check and the table's constraints say the same
# (docs/dossier-feed-format.md); a year like 0999 broke every page that counts by month (issue 10).
VIETNAM = timezone(timedelta(hours=7))
TIMES_FROM = datetime(2000, 1, 1, tzinfo=VIETNAM)
TIMES_BEFORE = datetime(2101, 1, 1, tzinfo=VIETNAM)


def _in_window(name: str, *, optional: bool) -> models.Q:
    inside = models.Q(**{f"{name}__gte": TIMES_FROM, f"{name}__lt": TIMES_BEFORE})
    return models.Q(**{f"{name}__isnull": True}) | inside if optional else inside


class Dossier(models.Model):
    """One public-service dossier (hồ sơ TTHC) of a record feed; upserted by `dossier_id`.

    Every import keeps the counts per unit and month (DossierCount) current; indicators I.1, I.4,
    I.5 and I.6 are ratios of those counts.
    """

    class Level(models.TextChoices):
        PROVINCE = "tinh", _("Cấp tỉnh")
        COMMUNE = "xa", _("Cấp xã")

    class Channel(models.TextChoices):
        IN_PERSON = "truc_tiep", _("Trực tiếp")
        PARTLY_ONLINE = "mot_phan", _("Trực tuyến một phần")
        FULLY_ONLINE = "toan_trinh", _("Trực tuyến toàn trình")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Đã tiếp nhận")
        PROCESSING = "processing", _("Đang giải quyết")
        RESOLVED = "resolved", _("Đã giải quyết")
        CANCELLED = "cancelled", _("Đã hủy")

    dossier_id = models.CharField(max_length=64, primary_key=True)
    procedure_code = models.CharField(max_length=40)
    level = models.CharField(max_length=4, choices=Level.choices)
    # No index and no database constraint on unit: the import checks every unit code before a row
    # goes in, PROTECT still guards deletions in the ORM, and PostgreSQL's per-row foreign-key trigger
    # and every extra index cost seconds on a 2-million-row import. Counting goes through DossierCount.
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="dossiers", db_index=False, db_constraint=False
    )
    received_at = models.DateTimeField()
    received_month = models.PositiveIntegerField(
        editable=False,
        help_text="YYYYMM of received_at in local time: the cell, grouped without a date function",
    )
    due_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    vneid = models.BooleanField(default=False, help_text="the applicant was identified through VNeID")
    result_eligible = models.BooleanField(default=False, help_text="the result may be issued electronically")
    result_electronic = models.BooleanField(default=False)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1–5; 4 and 5 count as satisfied"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    flags = models.PositiveSmallIntegerField(
        default=0,
        editable=False,
        help_text="what the dossier counts towards, as bits (analytics.dossier_counts.Flag)",
    )
    feed = models.CharField(max_length=40, default="dossiers")
    is_simulated = models.BooleanField(default=False)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        # the PostgreSQL import lets the table check its rows (a broken one aborts the whole file)
        constraints = [
            models.CheckConstraint(condition=~models.Q(dossier_id=""), name="dossier_id_given"),
            models.CheckConstraint(condition=~models.Q(procedure_code=""), name="dossier_procedure_given"),
            models.CheckConstraint(condition=models.Q(level__in=["tinh", "xa"]), name="dossier_level_known"),
            models.CheckConstraint(
                condition=models.Q(channel__in=["truc_tiep", "mot_phan", "toan_trinh"]),
                name="dossier_channel_known",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["received", "processing", "resolved", "cancelled"]),
                name="dossier_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="dossier_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True)
                | models.Q(resolved_at__gte=models.F("received_at")),
                name="dossier_resolved_after_received",
            ),
            models.CheckConstraint(
                condition=_in_window("received_at", optional=False), name="dossier_received_in_window"
            ),
            models.CheckConstraint(
                condition=_in_window("due_at", optional=True), name="dossier_due_in_window"
            ),
            models.CheckConstraint(
                condition=_in_window("resolved_at", optional=True), name="dossier_resolved_in_window"
            ),
        ]

    def __str__(self) -> str:
        return self.dossier_id


class DossierCount(models.Model):
    """The dossiers of a unit received in a month, counted once per derived element.

    The feed's pre-aggregate: kept current by every import (what a changed dossier adds to its new
    cell minus what it brought to the cell it left), so a change touches only its cells; rebuilt
    from the dossiers by a full recompute. The derived data values (HS_*) are these columns, and
    sums of them for quarters, halves and the year, read by the formulas and the drill-down.
    """

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    month = models.PositiveIntegerField(help_text="YYYYMM, local time")
    received = models.IntegerField(default=0)
    online = models.IntegerField(default=0)
    full_online = models.IntegerField(default=0)
    online_vneid = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolved_on_time = models.IntegerField(default=0)
    resolved_eligible = models.IntegerField(default=0)
    result_electronic = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    simulated = models.IntegerField(default=0)
    updated_at = models.DateTimeField(help_text="when an import or a recount last changed the cell")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="dossier_count_cell")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month}: {self.received}"
