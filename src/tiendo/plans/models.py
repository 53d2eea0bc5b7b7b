from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tiendo.core.i18n import LocalizedField
from tiendo.orgunits.models import OrgUnit, UnitGroup
from tiendo.reporting.models import DataElement, DataSet
from tiendo.reporting.periods import validate_period


class Plan(models.Model):
    """A plan as issued: number/symbol, year, issuer, dates. Loaded from a YAML file."""

    code = models.SlugField(max_length=60, unique=True)
    year = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    display_title = LocalizedField("title")
    symbol = models.CharField(max_length=60, blank=True)
    issuer = models.CharField(max_length=200, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()
    province = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="plans")
    source = models.CharField(max_length=500, blank=True)
    source_file = models.CharField(max_length=300, blank=True)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "code"]

    def __str__(self) -> str:
        return self.title


class IndicatorGroup(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="groups")
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300, blank=True)
    display_name = LocalizedField("name")
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "sort"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicatorgroup_plan_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"


class Indicator(models.Model):
    """An indicator (chỉ tiêu) with its target as printed, the numeric target and direction.

    Values come from two places: the indicator's own data element (results a document states, or
    the CĐS office enters), and a formula over reported data: Σ numerator / Σ denominator × factor
    (or Σ numerator alone), summed over the plan's province, from approved submissions only.
    """

    class Source(models.TextChoices):
        DOCUMENT = "document", _("Văn bản")
        FORM = "form", _("Biểu mẫu báo cáo")
        FEED = "feed", _("Luồng dữ liệu")
        MANUAL = "manual", _("Văn phòng CĐS nhập")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Càng cao càng tốt (≥)")
        LOWER = "lower", _("Càng thấp càng tốt (≤)")
        MILESTONE = "milestone", _("Mốc hoàn thành")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    group = models.ForeignKey(IndicatorGroup, on_delete=models.CASCADE, related_name="indicators")
    number = models.CharField(max_length=10)
    sort = models.PositiveSmallIntegerField(default=0)
    name = models.TextField()
    name_en = models.TextField(blank=True)
    display_name = LocalizedField("name")
    measure = models.CharField(max_length=40, blank=True)
    target_text = models.CharField(max_length=300)
    target_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    direction = models.CharField(max_length=20, choices=Direction.choices)
    lead_text = models.CharField(max_length=300, blank=True)
    baseline_indicator = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="followed_by"
    )
    own_element = models.ForeignKey(
        DataElement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="holds values stated for the indicator itself (documents, manual entries)",
    )
    # the formula over reported data: Σ numerator / Σ denominator × factor (forms file, `indicator_sources`)
    numerator = models.ForeignKey(
        DataElement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    denominator = models.ForeignKey(
        DataElement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    denominator_units = models.CharField(
        max_length=100,
        blank=True,
        help_text="instead of a denominator element: units:<reference>, a count of units",
    )
    factor = models.DecimalField(max_digits=12, decimal_places=4, default=1)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DOCUMENT)
    source_form = models.ForeignKey(
        DataSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="indicators"
    )
    source_feed = models.CharField(max_length=40, blank=True)
    source_note = models.TextField(blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["plan", "group__sort", "sort"]
        constraints = [
            models.UniqueConstraint(fields=["group", "number"], name="indicator_group_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.group.code}.{self.number} {self.name[:80]}"

    @property
    def label(self) -> str:
        return f"{self.group.code}.{self.number}"


class Responsibility(models.Model):
    """A unit or a group of units named as lead (chủ trì) or co-lead (phối hợp) of an indicator or task."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Chủ trì")
        CO_LEAD = "co_lead", _("Phối hợp")
        OWNER = "owner", _("Thực hiện")

    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.CASCADE, related_name="responsibilities"
    )
    task = models.ForeignKey(
        "Task", null=True, blank=True, on_delete=models.CASCADE, related_name="responsibilities"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="responsibilities"
    )
    group = models.ForeignKey(
        UnitGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="responsibilities"
    )
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["role", "sort"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit__isnull=False, group__isnull=True)
                | models.Q(unit__isnull=True, group__isnull=False),
                name="responsibility_unit_xor_group",
            ),
            models.CheckConstraint(
                condition=models.Q(indicator__isnull=False, task__isnull=True)
                | models.Q(indicator__isnull=True, task__isnull=False),
                name="responsibility_indicator_xor_task",
            ),
        ]

    def __str__(self) -> str:
        return str(self.unit or self.group)

    @property
    def holder(self) -> OrgUnit | UnitGroup:
        return self.unit or self.group  # type: ignore[return-value]


class StatedVerdict(models.Model):
    """A verdict set by a person or stated by a document, with who/where and why.

    Used where a verdict cannot be computed (qualitative results, compound targets), and kept for
    every result a document states so the computed verdict can be checked against it.
    """

    class Verdict(models.TextChoices):
        DAT = "dat", _("Đạt")
        CHUA_DAT = "chua_dat", _("Chưa đạt")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="stated_verdicts")
    period = models.CharField(max_length=12, validators=[validate_period])
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    source = models.CharField(max_length=500, help_text="the document or person that states it")
    reason = models.TextField(blank=True)
    stated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    stated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period"], name="statedverdict_indicator_period_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period}: {self.get_verdict_display()}"


class Task(models.Model):
    """A task (nhiệm vụ) of the plan with its owners, deadline and bullet points."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Chưa bắt đầu")
        IN_PROGRESS = "in_progress", _("Đang thực hiện")
        DONE = "done", _("Hoàn thành")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks")
    number = models.CharField(max_length=10)
    sort = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=500)
    owners_basis = models.TextField(blank=True)
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)

    class Meta:
        ordering = ["plan", "sort"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="task_plan_number_unique")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def owner_holders(self) -> list[OrgUnit | UnitGroup]:
        return [r.holder for r in self.responsibilities.all()]


class TaskItem(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="items")
    sort = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()

    class Meta:
        ordering = ["task", "sort"]

    def __str__(self) -> str:
        return self.text[:80]
