"""Data elements and data values: the figures every indicator is computed from (DHIS2's model).

A data value is keyed by (data element, unit, period) with the period as DHIS2 writes it
("2026", "2026S1", "2026Q1", "202601", "2026W05", "20260115") and carries its provenance.
Forms, submissions and their workflow arrive with the Reporting issue.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tiendo.core.exceptions import ApplicationError
from tiendo.core.i18n import LocalizedField
from tiendo.core.uids import uid_unused
from tiendo.orgunits.models import OrgUnit
from tiendo.reporting.periods import validate_period


class DataElement(models.Model):
    class ValueType(models.TextChoices):
        NUMBER = "number", _("Số")
        INTEGER = "integer", _("Số nguyên")
        PERCENTAGE = "percentage", _("Tỷ lệ phần trăm")
        BOOLEAN = "boolean", _("Có / không")
        TEXT = "text", _("Văn bản")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("Tổng")
        AVERAGE = "average", _("Trung bình")
        LAST = "last", _("Giá trị cuối")
        NONE = "none", _("Không cộng dồn")

    code = models.CharField(max_length=80, unique=True)
    uid = models.CharField(
        max_length=11, unique=True, editable=False, help_text="DHIS2-style UID, derived from the code"
    )
    name = models.CharField(max_length=500)
    name_en = models.CharField(max_length=500, blank=True)
    display_name = LocalizedField("name")
    value_type = models.CharField(max_length=20, choices=ValueType.choices, default=ValueType.NUMBER)
    measure = models.CharField(max_length=40, blank=True, help_text="unit of measure, e.g. %")
    aggregation = models.CharField(max_length=20, choices=Aggregation.choices, default=Aggregation.NONE)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.uid:
            self.uid = uid_unused(
                "dataelement", self.code, lambda uid: type(self).objects.filter(uid=uid).exists()
            )
        super().save(*args, **kwargs)


class DataValue(models.Model):
    class Source(models.TextChoices):
        DOCUMENT = "document", _("Văn bản ban hành")
        SUBMISSION = "submission", _("Báo cáo của đơn vị")
        IMPORT = "import", _("Nhập tệp")
        API = "api", _("Hệ thống khác (API)")
        FEED = "feed", _("Luồng dữ liệu")
        COMPUTED = "computed", _("Tính toán")
        MANUAL = "manual", _("Nhập tay (Văn phòng CĐS)")

    data_element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="values")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="data_values")
    period = models.CharField(
        max_length=12, validators=[validate_period], help_text="DHIS2 period identifier"
    )
    value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    text_value = models.TextField(
        blank=True, help_text="the value as written (e.g. the result text of a plan)"
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    source_detail = models.CharField(max_length=500, blank=True)
    submission = models.ForeignKey(
        "Submission",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="values",
        help_text="set for reported values: they count once the submission is approved",
    )
    comment = models.TextField(blank=True)
    is_simulated = models.BooleanField(default=False)
    stored_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    stored_by_label = models.CharField(max_length=200, blank=True)
    stored_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["data_element", "unit", "period"], name="datavalue_element_unit_period_unique"
            )
        ]
        indexes = [models.Index(fields=["unit", "period"])]

    def __str__(self) -> str:
        return f"{self.data_element.code} {self.unit.code} {self.period} = {self.value if self.value is not None else self.text_value}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refuse_if_approved()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self.refuse_if_approved()
        return super().delete(*args, **kwargs)

    def reports_showing(self) -> models.Q:
        """The submissions whose form holds this value's element, for its unit and period."""
        return models.Q(
            unit_id=self.unit_id, period=self.period, dataset__form_elements__element_id=self.data_element_id
        )

    def refuse_if_approved(self) -> None:
        """No path changes a value of an approved report (the admin, a shell, a service): the office
        reopens the report first, so the change lands in its trail and is approved again."""
        # its owner, and every report that shows it: a report shows each value of its form's
        # elements for its unit and period, owned or not (an unowned value in an empty cell counts)
        owners = self.reports_showing()
        if self.submission_id:
            owners |= models.Q(pk=self.submission_id)
        if self.pk is not None:
            owners |= models.Q(values__pk=self.pk)
        if Submission.objects.filter(owners, status=Submission.Status.APPROVED).exists():
            raise ApplicationError(
                _("Giá trị thuộc báo cáo đã duyệt: Văn phòng CĐS phải mở lại báo cáo trước khi sửa"),
                code="locked",
                field="value",
            )


class DataSet(models.Model):
    """A reporting form (biểu mẫu): data elements, one period type, the units that report it."""

    class PeriodType(models.TextChoices):
        MONTHLY = "monthly", _("Hằng tháng")
        QUARTERLY = "quarterly", _("Hằng quý")
        SIXMONTHLY = "sixmonthly", _("6 tháng")
        YEARLY = "yearly", _("Hằng năm")

    code = models.CharField(max_length=40, unique=True, help_text="ASCII id, the dataSet of dataValueSets")
    uid = models.CharField(
        max_length=11, unique=True, editable=False, help_text="DHIS2-style UID, derived from the code"
    )
    symbol = models.CharField(max_length=100, help_text="as printed, e.g. Biểu số 01/CĐS")
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    display_title = LocalizedField("title")
    period_type = models.CharField(max_length=20, choices=PeriodType.choices)
    deadline_days = models.PositiveSmallIntegerField(default=5)
    working_days = models.BooleanField(default=True)
    legal_basis = models.TextField(blank=True)
    reviewer_unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="whose reviewers approve; empty: the CĐS office of the province",
    )
    units = models.ManyToManyField(OrgUnit, related_name="datasets", blank=True)
    assigned_refs = models.JSONField(
        default=list, blank=True, help_text="the assignment as written in the forms file"
    )
    source_file = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.symbol} – {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.uid:
            self.uid = uid_unused(
                "dataset", self.code, lambda uid: type(self).objects.filter(uid=uid).exists()
            )
        super().save(*args, **kwargs)


class DataSetSection(models.Model):
    dataset = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    display_title = LocalizedField("title")
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["dataset", "sort"]

    def __str__(self) -> str:
        return self.title


class DataSetElement(models.Model):
    dataset = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="form_elements")
    section = models.ForeignKey(DataSetSection, on_delete=models.CASCADE, related_name="form_elements")
    element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="form_elements")
    sort = models.PositiveSmallIntegerField(default=0)
    required = models.BooleanField(default=False)
    min_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["dataset", "section__sort", "sort"]
        constraints = [models.UniqueConstraint(fields=["dataset", "element"], name="datasetelement_unique")]

    def __str__(self) -> str:
        return f"{self.dataset.code}:{self.element.code}"


class ValidationRule(models.Model):
    class Severity(models.TextChoices):
        ERROR = "error", _("Lỗi (chặn gửi)")
        WARNING = "warning", _("Cảnh báo (cần giải trình)")

    dataset = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="rules")
    code = models.CharField(max_length=40)
    expression = models.CharField(max_length=500)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.ERROR)
    message = models.CharField(max_length=500)
    message_en = models.CharField(max_length=500, blank=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["dataset", "sort"]
        constraints = [models.UniqueConstraint(fields=["dataset", "code"], name="validationrule_unique")]

    def __str__(self) -> str:
        return f"{self.code}: {self.expression}"


class Submission(models.Model):
    """One unit's report of one form for one period, with its workflow (DHIS2: data set registration + approval)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Nháp")
        SUBMITTED = "submitted", _("Đã gửi")
        RETURNED = "returned", _("Bị trả lại")
        APPROVED = "approved", _("Đã duyệt")

    dataset = models.ForeignKey(DataSet, on_delete=models.PROTECT, related_name="submissions")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="submissions")
    period = models.CharField(max_length=12, validators=[validate_period])
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="optimistic lock: bumped by every change")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True, help_text="why it was returned or reopened")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "unit", "period"], name="submission_unique")
        ]
        indexes = [models.Index(fields=["dataset", "period", "status"])]

    def __str__(self) -> str:
        return f"{self.dataset.code} {self.unit.code} {self.period} ({self.status})"


class SubmissionEvent(models.Model):
    """The submission's trail: every workflow step and every value change (who, when, old → new, why)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=list, blank=True, help_text="[{element, old, new, comment}]")

    ACTION_LABELS = {
        "create": _("Lập báo cáo"),
        "save": _("Lưu số liệu"),
        "import": _("Nhập qua API"),
        "submit": _("Gửi"),
        "approve": _("Duyệt"),
        "return": _("Trả lại"),
        "reopen": _("Mở lại"),
        "admin": _("Sửa trong trang quản trị"),
    }

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.submission} {self.action} {self.at:%Y-%m-%d %H:%M}"

    @property
    def action_label(self) -> str:
        return str(self.ACTION_LABELS.get(self.action, self.action))


class FourEyesException(models.Model):
    """The office's named exception to the four-eyes rule for one form (and one unit, or all of its
    units): there, whoever submitted or entered a report may also approve it (e.g. a commune with one
    official). Granted and withdrawn only by the CĐS office, through services that audit it."""

    dataset = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="four_eyes_exceptions")
    unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="empty: every unit the form is assigned to",
    )
    name = models.CharField(max_length=300, help_text="why, as the office wrote it")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "unit__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "unit"],
                condition=models.Q(unit__isnull=False),
                name="foureyesexception_form_unit_unique",
            ),
            models.UniqueConstraint(
                fields=["dataset"],
                condition=models.Q(unit__isnull=True),
                name="foureyesexception_form_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.code} {self.unit.code if self.unit else '*'}: {self.name}"


class ApiToken(models.Model):
    """A personal access token for systems (`Authorization: ApiToken d2pat_…`, as DHIS2). Only a hash is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=128, unique=True)
    scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # set when the token was rotated: the token that took its place (the old one is revoked at once)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Reminder(models.Model):
    """A reminder sent for one unit's report; the unique key makes "once each" hold under retries."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Sắp đến hạn")
        AFTER = "after", _("Quá hạn")

    dataset = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="reminders")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="reminders")
    period = models.CharField(max_length=12)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "unit", "period", "kind"], name="reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dataset.code} {self.unit.code} {self.period}"


class Notification(models.Model):
    """An in-app message to one user (reminders, returned reports)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=500)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text[:80]
