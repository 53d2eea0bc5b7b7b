"""Data elements and data values: the figures every indicator is computed from (DHIS2's model).

A data value is keyed by (data element, unit, period) with the period as DHIS2 writes it
("2026", "2026S1", "2026Q1", "202601", "2026W05", "20260115") and carries its provenance.
Forms, submissions and their workflow arrive with the Reporting issue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

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
    name = models.CharField(max_length=500)
    name_en = models.CharField(max_length=500, blank=True)
    value_type = models.CharField(max_length=20, choices=ValueType.choices, default=ValueType.NUMBER)
    measure = models.CharField(max_length=40, blank=True, help_text="unit of measure, e.g. %")
    aggregation = models.CharField(max_length=20, choices=Aggregation.choices, default=Aggregation.NONE)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def display_name(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name


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
