"""The operations centre's data: what reports (subsystems, devices, their series), what it reported
(readings and their rollups), what was refused, and the alerts people act on.

Modelled after FIWARE's Smart Data Models (Device, DeviceMeasurement) so the NGSI-LD face is a view,
not a translation: a device's id is `urn:ngsi-ld:Device:<code>`; a series (device × metric) carries
its UN/CEFACT unit code.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tiendo.orgunits.models import OrgUnit

NGSI_DEVICE_PREFIX = "urn:ngsi-ld:Device:"


class Subsystem(models.Model):
    """A system that feeds the IOC (the seed's cameras, disaster-prevention database, forests …)."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=300)
    owner = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="ioc_subsystems"
    )
    owner_name = models.CharField(max_length=300, blank=True, help_text="the owner as the source names it")
    year = models.IntegerField(null=True, blank=True, help_text="in service since")
    description = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True, help_text="where the seed names it")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """A device or feed: a station, a camera's counter, a vessel's VMS box, a system's statistic."""

    class Kind(models.TextChoices):
        AIR_QUALITY = "air_quality", _("Quan trắc không khí")
        WATER_LEVEL = "water_level", _("Mực nước sông")
        VESSEL = "vessel", _("Tàu cá (VMS)")
        CAMERA = "camera", _("Camera")
        WEATHER = "weather", _("Khí tượng")
        SERVICE_COUNTER = "service_counter", _("Dịch vụ công")
        OTHER = "other", _("Khác")

    class State(models.TextChoices):
        NEVER = "never", _("Chưa từng gửi")
        ONLINE = "online", _("Trực tuyến")
        OFFLINE = "offline", _("Mất kết nối")

    code = models.CharField(max_length=80, unique=True)
    name = models.CharField(max_length=300)
    subsystem = models.ForeignKey(Subsystem, on_delete=models.PROTECT, related_name="devices")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="ioc_devices")
    owner = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="ioc_devices_owned"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.OTHER)
    moving = models.BooleanField(default=False)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    simulated = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEVER)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["unit", "kind"]), models.Index(fields=["subsystem"])]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def ngsi_id(self) -> str:
        return NGSI_DEVICE_PREFIX + self.code


class DeviceMetric(models.Model):
    """One series: what a device measures, in which unit (UN/CEFACT common code), and its last value."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="metrics")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200, blank=True)
    unit_code = models.CharField(max_length=10, blank=True, help_text="UN/CEFACT, e.g. GQ = µg/m³, MTR = m")
    derived = models.BooleanField(default=False, help_text="computed by tiendo from other series")
    last_value = models.FloatField(null=True, blank=True)
    last_ts = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["device_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["device", "code"], name="ioc_metric_device_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.code}"


class Reading(models.Model):
    """One value of one series at one instant. The key (series, ts) makes a duplicate impossible.

    On PostgreSQL the table is partitioned by month on `ts` with a BRIN index (migration 0002)."""

    pk = models.CompositePrimaryKey("series_id", "ts")
    series = models.ForeignKey(DeviceMetric, on_delete=models.CASCADE, related_name="+", db_index=False)
    ts = models.DateTimeField()
    value = models.FloatField()

    class Meta:
        ordering = ["series_id", "ts"]

    def __str__(self) -> str:
        return f"{self.series_id}@{self.ts.isoformat()}={self.value}"


class Rollup(models.Model):
    """Count, sum, min and max of a series over a 5-minute, hourly or daily bucket (UTC)."""

    class Grain(models.TextChoices):
        FIVE_MINUTES = "5m", _("5 phút")
        HOUR = "1h", _("giờ")
        DAY = "1d", _("ngày")

    series = models.ForeignKey(DeviceMetric, on_delete=models.CASCADE, related_name="rollups")
    grain = models.CharField(max_length=2, choices=Grain.choices)
    bucket = models.DateTimeField()
    count = models.IntegerField()
    total = models.FloatField()
    minimum = models.FloatField()
    maximum = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["series", "grain", "bucket"], name="ioc_rollup_series_grain_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series_id}/{self.grain}/{self.bucket.isoformat()}"


class IngestRefusal(models.Model):
    """Readings refused, counted per day, reason and device as sent (never silently dropped)."""

    day = models.DateField()
    reason = models.CharField(max_length=30)
    device_ref = models.CharField(max_length=120)
    count = models.IntegerField(default=0)
    last_detail = models.CharField(max_length=500, blank=True)
    last_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "reason", "device_ref"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "reason", "device_ref"], name="ioc_refusal_day_reason_device"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.reason} {self.device_ref}: {self.count}"


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Nghiêm trọng")
    MAJOR = "major", _("Lớn")
    MINOR = "minor", _("Nhỏ")
    WARNING = "warning", _("Cảnh báo")


class AlertRule(models.Model):
    """What makes an alert. The condition's kinds and their evaluation live in ioc/alerting.py."""

    class Condition(models.TextChoices):
        THRESHOLD = "threshold", _("Ngưỡng")
        RATE = "rate", _("Tốc độ thay đổi")
        NO_DATA = "no_data", _("Không có số liệu")
        INDICATOR = "indicator", _("Chỉ tiêu chệch hướng")

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=300)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    condition = models.CharField(max_length=20, choices=Condition.choices, default=Condition.THRESHOLD)
    # what it watches: a metric code on one device, on every device of a kind, or of a subsystem
    metric = models.SlugField(max_length=40, blank=True)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    device_kind = models.CharField(max_length=30, choices=Device.Kind.choices, blank=True)
    subsystem = models.ForeignKey(
        Subsystem, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    indicator = models.ForeignKey(
        "plans.Indicator", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    operator = models.CharField(max_length=2, blank=True)  # > >= < <= =
    threshold = models.FloatField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    duration_seconds = models.IntegerField(default=0)
    repeat_count = models.IntegerField(default=1)
    notify_emails = models.JSONField(default=list, blank=True)
    notify_webhook = models.URLField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RuleState(models.Model):
    """A rule's memory of one series between batches: when the breach began and how many readings in
    a row breached (duration and repeat debouncing), with the reading (time, measured value) that last
    moved it. Written only when the breach moves, so a quiet series costs no write."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states")
    series = models.ForeignKey(DeviceMetric, on_delete=models.CASCADE, related_name="+")
    breach_since = models.DateTimeField(null=True, blank=True)
    breach_count = models.IntegerField(default=0)
    last_ts = models.DateTimeField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "series"], name="ioc_rulestate_rule_series")]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.series_id}: {self.breach_count} since {self.breach_since}"


class Alert(models.Model):
    """One alert of one rule on one device (or indicator): active → acknowledged → cleared."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Đang xảy ra")
        ACKNOWLEDGED = "acknowledged", _("Đã xác nhận")
        CLEARED = "cleared", _("Đã kết thúc")

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="ioc_alerts")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.ACTIVE)
    message = models.CharField(max_length=500)
    value = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField()
    last_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledge_comment = models.CharField(max_length=500, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clear_comment = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "device"],
                condition=~models.Q(status="cleared"),
                name="ioc_alert_one_open_per_rule_device",
            )
        ]
        indexes = [models.Index(fields=["status", "unit"]), models.Index(fields=["started_at"])]

    def __str__(self) -> str:
        return self.message


class AlertEvent(models.Model):
    """The history of an alert: raised, acknowledged, cleared, notified — who, when, what was said."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("Phát sinh")
        ACKNOWLEDGED = "acknowledged", _("Xác nhận")
        CLEARED = "cleared", _("Kết thúc")
        NOTIFIED = "notified", _("Đã thông báo")
        NOTIFY_FAILED = "notify_failed", _("Thông báo không thành công")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.CharField(max_length=500, blank=True)
    value = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind} {self.at.isoformat()}"


class IngestRequest(models.Model):
    """An HTTP batch of readings by its Idempotency-Key: a retry gets the first answer, stores nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="ioc_ingestrequest_user_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
