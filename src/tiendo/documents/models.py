from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportTemplate(models.Model):
    """One version of the narrative of a report type, written by the CĐS office.

    Saving makes a new version (the latest is used); restoring an old one saves it again as the
    newest, so nothing written is ever lost. Placeholders are checked before a version is kept.
    """

    class Kind(models.TextChoices):
        EVALUATION_REPORT = "evaluation-report", _("Báo cáo đánh giá kết quả thực hiện kế hoạch")

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


class SigningCertificate(models.Model):
    """The organisation's certificate for sealing PDFs (PKCS#12), kept encrypted (documents.signing).

    The newest active one signs. Its key and passphrase never leave the server in the clear.
    """

    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=500)
    issuer = models.CharField(max_length=500)
    serial = models.CharField(max_length=100)
    fingerprint_sha256 = models.CharField(max_length=64)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    pkcs12_encrypted = models.BinaryField()
    passphrase_encrypted = models.BinaryField()
    chain_pem = models.TextField(
        blank=True, help_text="the authorities in the PKCS#12 file: trusted when verifying"
    )
    active = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.subject})"
