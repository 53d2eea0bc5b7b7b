from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tiendo.core.i18n import LocalizedField
from tiendo.core.text import fold_for_search
from tiendo.core.uids import uid_unused


class OrgUnit(models.Model):
    """One node of the unit tree: a province, a commune-level unit or an agency.

    `code` is stable and official where one exists (province "51", commune "21211"); agencies carry
    the codes of the province's agency file (e.g. "SKHCN"). `path` ("/51/21211/") makes "this unit
    and everything under it" one indexed prefix query on SQLite and PostgreSQL alike.
    """

    class Kind(models.TextChoices):
        PROVINCE = "province", _("Tỉnh / thành phố")
        COMMUNE = "commune", _("Xã / phường / đặc khu")
        AGENCY = "agency", _("Cơ quan, đơn vị")

    code = models.CharField(max_length=20, unique=True)
    uid = models.CharField(
        max_length=11, unique=True, editable=False, help_text="DHIS2-style UID, derived from the code"
    )
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    display_name = LocalizedField("name")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    division_type = models.CharField(max_length=40, blank=True, help_text="xã, phường, đặc khu, tỉnh …")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    aliases = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="where the record came from")
    search_text = models.CharField(max_length=600, blank=True, editable=False, db_index=True)

    class Meta:
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.uid:
            self.uid = uid_unused(
                "orgunit", self.code, lambda uid: type(self).objects.filter(uid=uid).exists()
            )
        self.path = self.compute_path()
        self.search_text = fold_for_search(" ".join([self.code, self.name, self.name_en, *self.aliases]))
        super().save(*args, **kwargs)

    def compute_path(self) -> str:
        return f"{self.parent.path if self.parent else '/'}{self.code}/"


class UnitGroup(models.Model):
    """A named set of units ("xã", "phường", "Các sở, ban, ngành") that plans can name collectively."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    display_name = LocalizedField("name")
    members = models.ManyToManyField(OrgUnit, related_name="groups", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in a unit. A role held at a unit reaches every unit below it."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Quản trị (Văn phòng CĐS)")
        REVIEWER = "reviewer", _("Người duyệt")
        REPORTER = "reporter", _("Người báo cáo")
        VIEWER = "viewer", _("Người xem")
        OPERATOR = "operator", _("Trực vận hành IOC")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="membership_user_unit_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} @ {self.unit}"


class Boundary(models.Model):
    """A unit's boundary (GeoJSON geometry, WGS84), loaded from a file by official code."""

    unit = models.OneToOneField(OrgUnit, on_delete=models.CASCADE, related_name="boundary")
    geometry = models.JSONField()
    source = models.CharField(max_length=300, blank=True)
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.unit.code} ({self.source})"
