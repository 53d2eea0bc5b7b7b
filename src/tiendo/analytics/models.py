from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tiendo.orgunits.models import OrgUnit


class Dossier(models.Model):
    """One public-service dossier (hồ sơ TTHC) of a record feed; upserted by `dossier_id`.

    Feeds are turned into monthly data values (analytics.dossiers.derive) per handling unit;
    indicators I.1, I.4, I.5 and I.6 are ratios over them.
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
    # no separate index on unit: the (unit, received_at) index below serves unit lookups, and every index
    # costs time on a 2-million-row import
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="dossiers", db_index=False)
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
    feed = models.CharField(max_length=40, default="dossiers")
    is_simulated = models.BooleanField(default=False)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["unit", "received_at"]),
            models.Index(fields=["received_month", "unit"]),
        ]

    def __str__(self) -> str:
        return self.dossier_id
