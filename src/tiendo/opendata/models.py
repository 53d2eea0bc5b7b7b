"""The open-data catalogue: datasets, their versions (each a table), licences and themes as data.

One dataset is one table at a time, the way a citizen and a harvester see it: a CKAN package with one
resource, a DCAT dataset with its distributions (CSV, XLSX, JSON, the Frictionless data package), a
Frictionless package with one resource. Each new upload or rebuild is a new `DatasetVersion` with its
date; the rows of every version are kept (`DatastoreRow`) so a version once published can be read
again exactly.

Access (issue 12): **public** — open data, anyone reads it; **shared** — the catalogue lists it, the
rows are for the publisher, the office and systems granted it; **restricted** — listed and readable
only for the publisher, the office and the named units. Only published datasets leave the office.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tiendo.core.i18n import LocalizedField
from tiendo.opendata.words import search_words
from tiendo.orgunits.models import OrgUnit


class Licence(models.Model):
    """A licence a dataset may carry (data/licences.yaml; SPDX identifiers, as CKAN's licence list)."""

    id = models.CharField(primary_key=True, max_length=60)
    title = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200, blank=True)
    display_title = LocalizedField("title")
    url = models.URLField(blank=True)
    is_open = models.BooleanField(default=True, help_text="conforms to the Open Definition")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.id


class Theme(models.Model):
    """A theme of the EU data-theme vocabulary (DCAT-AP's), named in Vietnamese and English."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    display_name = LocalizedField("name")
    uri = models.URLField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.code


class Dataset(models.Model):
    class Access(models.TextChoices):
        PUBLIC = "public", _("Công khai (dữ liệu mở)")
        SHARED = "shared", _("Dùng chung (hệ thống được cấp quyền)")
        RESTRICTED = "restricted", _("Hạn chế (đơn vị được chỉ định)")

    class State(models.TextChoices):
        DRAFT = "draft", _("Nháp")
        PUBLISHED = "published", _("Đã công bố")
        WITHDRAWN = "withdrawn", _("Đã thu hồi")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Tệp do cơ quan tải lên")
        INDICATOR = "indicator", _("Giá trị chỉ tiêu theo đơn vị và kỳ")
        FORM = "form", _("Số liệu đã duyệt của biểu mẫu")
        IOC = "ioc", _("Số liệu tổng hợp của cảm biến (IOC)")

    class Frequency(models.TextChoices):
        # the codes of the EU frequency vocabulary (DCAT-AP's dct:accrualPeriodicity)
        DAILY = "DAILY", _("Hằng ngày")
        WEEKLY = "WEEKLY", _("Hằng tuần")
        MONTHLY = "MONTHLY", _("Hằng tháng")
        QUARTERLY = "QUARTERLY", _("Hằng quý")
        BIANNUAL = "BIANNUAL", _("Sáu tháng một lần")
        ANNUAL = "ANNUAL", _("Hằng năm")
        IRREGULAR = "IRREG", _("Không định kỳ")
        CONTINUOUS = "UPDATE_CONT", _("Liên tục")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # CKAN's "id"
    name = models.SlugField(max_length=100, unique=True, help_text="URL name, as CKAN's")
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    display_title = LocalizedField("title")
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    display_description = LocalizedField("description")
    publisher = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="published_datasets")
    themes = models.ManyToManyField(Theme, blank=True, related_name="datasets")
    keywords = models.JSONField(default=list, blank=True)
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="datasets")
    frequency = models.CharField(max_length=12, choices=Frequency.choices, default=Frequency.IRREGULAR)
    temporal_start = models.DateField(null=True, blank=True)
    temporal_end = models.DateField(null=True, blank=True)
    spatial = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="area covered"
    )
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    access = models.CharField(max_length=12, choices=Access.choices, default=Access.PUBLIC)
    allowed_units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="restricted_datasets", help_text="restricted: who may read"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.UPLOAD)
    source_indicator = models.ForeignKey(
        "plans.Indicator", null=True, blank=True, on_delete=models.PROTECT, related_name="datasets"
    )
    source_form = models.ForeignKey(
        "reporting.DataSet", null=True, blank=True, on_delete=models.PROTECT, related_name="open_datasets"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["state", "access"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_search_text()
        super().save(*args, **kwargs)

    def refresh_search_text(self, *, themes: list[Theme] | None = None) -> None:
        parts = [self.name, self.title, self.title_en, self.description, self.description_en, *self.keywords]
        parts += [self.publisher.name, self.publisher.name_en]
        for theme in themes if themes is not None else (self.themes.all() if self.pk else []):
            parts += [theme.name, theme.name_en]
        self.search_text = " " + " ".join(search_words(" ".join(p for p in parts if p))) + " "

    @property
    def is_open(self) -> bool:
        return self.state == self.State.PUBLISHED and self.access == self.Access.PUBLIC


class DatasetVersion(models.Model):
    """One version of a dataset's table: its Table Schema, its rows (DatastoreRow) and their hash."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    schema = models.JSONField(help_text="Frictionless Table Schema: {fields: [{name, type, title}]}")
    row_count = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, help_text="of the rows as canonical CSV")
    filename = models.CharField(max_length=255, blank=True, help_text="the uploaded file's name")
    note = models.CharField(max_length=500, blank=True)
    provenance = models.CharField(max_length=500, blank=True, help_text="what the rows were built from")

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="datasetversion_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.name} v{self.number}"

    @property
    def field_names(self) -> list[str]:
        return [field["name"] for field in self.schema.get("fields", [])]


class DatastoreRow(models.Model):
    """One row of one version, as {column: value} with JSON types (numbers as numbers)."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField(help_text="1-based, CKAN's _id")
    data = models.JSONField()
    text = models.TextField(blank=True, help_text="every value, folded (no diacritics): datastore_search's q")

    class Meta:
        ordering = ["version", "row"]
        constraints = [
            models.UniqueConstraint(fields=["version", "row"], name="datastorerow_version_row_unique")
        ]

    def __str__(self) -> str:
        return f"{self.version} #{self.row}"


class DatasetUsage(models.Model):
    """How often a dataset was used in a month: page views, downloads, API calls (issue 12, item 6).
    One row per (dataset, month, kind), incremented in place."""

    class Kind(models.TextChoices):
        PAGE = "page", _("Lượt xem trang")
        DOWNLOAD = "download", _("Lượt tải xuống")
        API = "api", _("Lượt gọi API")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="usage")
    month = models.DateField(help_text="the first day of the month (the province's calendar)")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["dataset", "-month", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "month", "kind"], name="datasetusage_once_a_month")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.name} {self.month:%Y-%m} {self.kind}: {self.count}"


# ------------------------------------------------------------------------------------ sharing (LGSP)


class System(models.Model):
    """Another agency's information system, registered to read shared data (the LGSP's job)."""

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="systems")
    purpose = models.TextField(help_text="what the system does with the data")
    legal_basis = models.CharField(max_length=500, help_text="the document that allows the sharing")
    contact_email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SystemKey(models.Model):
    """A key of a system (`Authorization: tdsk_…`). Only its SHA-256 is kept; the secret is shown once.

    `datasets` empty means every dataset granted to the system; `areas` says which API areas the key
    may call. Rotation issues a new key and lets the old one live until `expires_at` (the overlap
    the system needs to deploy the new one), or until revoked."""

    class Area(models.TextChoices):
        CATALOGUE = "catalogue", _("Danh mục (CKAN, DCAT)")
        DATASTORE = "datastore", _("Dòng số liệu (datastore_search)")
        DOWNLOAD = "download", _("Tải tệp số liệu")

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    datasets = models.ManyToManyField(Dataset, blank=True, related_name="+")
    areas = models.JSONField(default=list)
    rate_per_minute = models.PositiveIntegerField(default=120)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    class Meta:
        ordering = ["system", "-created_at"]

    def __str__(self) -> str:
        return f"{self.system.name}: {self.name} ({self.prefix}…)"


class KeyMinute(models.Model):
    """Requests of one key in one minute: the rate limit, shared by every web process."""

    key = models.ForeignKey(SystemKey, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "minute"], name="keyminute_once")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.minute:%H:%M} {self.count}"


class AccessRequest(models.Model):
    """A system asks for a shared (or restricted) dataset; the publisher grants or refuses, with a
    reason. A granted request is the grant: revoking it ends the access."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ xử lý")
        GRANTED = "granted", _("Đã cấp quyền")
        REFUSED = "refused", _("Đã từ chối")
        REVOKED = "revoked", _("Đã thu hồi quyền")

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="requests")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="access_requests")
    purpose = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-asked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "dataset"],
                condition=models.Q(status__in=["pending", "granted"]),
                name="accessrequest_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.system} → {self.dataset}: {self.status}"


class AccessLog(models.Model):
    """One read of shared or restricted data: who (system and key, or person), what, which filter,
    how many rows, when. Shown to the dataset's publisher."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="access_log")
    system = models.ForeignKey(System, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    key = models.ForeignKey(SystemKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    query = models.JSONField(default=dict, blank=True, help_text="the filter, q, fields, sort, page")
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["dataset", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.dataset_id}"


class WithheldUnit(models.Model):
    """A unit whose figures, and those of every unit below it, the public face leaves out: the public
    progress pages, their downloads and the datasets built from tiendo's data. Marked by the data's
    owner (an admin of the unit or of a unit above it, or the CĐS office), with a reason; one
    indicator, or all of them when `indicator` is empty. The province's own figure, a sum over
    every unit, still counts the unit: what is withheld is the unit's share, not the total."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(
        "plans.Indicator", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.TextField()
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "indicator"], name="withheldunit_unit_indicator_unique"),
            models.UniqueConstraint(
                fields=["unit"], condition=models.Q(indicator=None), name="withheldunit_unit_all_unique"
            ),
        ]
        ordering = ["unit__path"]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.indicator_id or '*'}"
