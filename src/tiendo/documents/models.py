from __future__ import annotations

from django.conf import settings
from django.db import models


class ReportTemplate(models.Model):
    """One version of the narrative of a report type, written by the CĐS office.

    Saving makes a new version (the latest is used); restoring an old one saves it again as the
    newest, so nothing written is ever lost. Placeholders are checked before a version is kept.
    """

    class Kind(models.TextChoices):
        EVALUATION_REPORT = "evaluation-report", "Báo cáo đánh giá kết quả thực hiện kế hoạch"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    version = models.PositiveIntegerField()
    body = models.TextField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="reporttemplate_kind_version")
        ]
        ordering = ["kind", "-version"]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"
