"""Datasets described as data, made through the catalogue's services:

- a YAML file of datasets (`tiendo opendata-load [FILE]`; data/datasets-51.yaml ships with the
  project): every field of `DatasetFields`, the publisher and units by code, themes by code, an
  optional `csv:` (a path beside the file) uploaded as the first version, `publish: true`. The whole
  file is checked, every problem named with its line, and written in one transaction: any error →
  nothing written. A dataset already in the catalogue keeps its description (its steward edits it
  on its page) and gets a new version only when the file's table changed, so loading twice changes
  nothing.
- one dataset per indicator of a plan that has a formula (`tiendo opendata-build
  --create-indicator-datasets PLAN`), built from the indicator's approved values, published, public.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from pydantic import Field, ValidationError, field_validator

from tiendo.core.exceptions import ApplicationError
from tiendo.core.types import Actor
from tiendo.core.yamlfile import StrictModel, YamlDocument, as_text
from tiendo.opendata.models import Dataset, DatasetVersion
from tiendo.opendata.selectors import dataset_current_version
from tiendo.opendata.services import (
    DEFAULT_LICENCE,
    MAX_UPLOAD_BYTES,
    DatasetFields,
    dataset_build,
    dataset_create,
    dataset_publish,
    dataset_upload,
)
from tiendo.opendata.tables import TableRefusedError, check, read_table, rows_hash
from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Indicator, Plan, Responsibility
from tiendo.reporting.models import DataSet

SHIPPED_DATASETS = Path(__file__).resolve().parent / "data" / "datasets-51.yaml"
NAME = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class DatasetEntry(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=NAME)]
    title: Annotated[str, Field(min_length=1, max_length=300)]
    title_en: Annotated[str, Field(max_length=300)] = ""
    description: str = ""
    description_en: str = ""
    publisher: str
    themes: list[str] = []
    keywords: list[str] = []
    licence: str = DEFAULT_LICENCE
    frequency: str = Dataset.Frequency.IRREGULAR
    temporal_start: date | None = None
    temporal_end: date | None = None
    spatial: str | None = None
    contact_name: str = ""
    contact_email: str = ""
    access: str = Dataset.Access.PUBLIC
    allowed_units: list[str] = []
    csv: str | None = None  # beside the YAML file: the first version (later: a new one when it changed)
    note: Annotated[str, Field(max_length=500)] = ""  # the version's note
    publish: bool = False

    _text = field_validator("publisher", "spatial", "allowed_units", mode="before")(as_text)


class DatasetsFile(StrictModel):
    datasets: Annotated[list[DatasetEntry], Field(min_length=1)]


@dataclass
class DatasetsLoadReport:
    created: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)  # "name v2"
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _(
            "%(created)s bộ dữ liệu mới, %(versions)s phiên bản mới, %(published)s công bố, %(same)s giữ nguyên"
        ) % {
            "created": len(self.created),
            "versions": len(self.versions),
            "published": len(self.published),
            "same": len(self.unchanged),
        }


@dataclass
class _Resolved:
    """What the checks found for one entry: its units and its table, ready to write."""

    publisher: OrgUnit | None  # None only with an error reported
    spatial: OrgUnit | None
    allowed_units: tuple[OrgUnit, ...]
    filename: str = ""
    content: bytes = b""


def _unit_errors(
    document: YamlDocument, entry: DatasetEntry, index: int, units: dict[str, OrgUnit]
) -> list[str]:
    errors = []
    unknown = _("không có đơn vị mã %(code)s")
    if entry.publisher not in units:
        errors.append(document.error(("datasets", index, "publisher"), unknown % {"code": entry.publisher}))
    if entry.spatial and entry.spatial not in units:
        errors.append(document.error(("datasets", index, "spatial"), unknown % {"code": entry.spatial}))
    for position, code in enumerate(entry.allowed_units):
        if code not in units:
            errors.append(
                document.error(("datasets", index, "allowed_units", position), unknown % {"code": code})
            )
    return errors


def _table_problems(error: TableRefusedError) -> str:
    cells = [cell.message() for cell in error.errors]
    more = error.total - len(error.errors)
    if more > 0:
        cells.append(_("… và %(n)s ô khác") % {"n": more})
    return "; ".join([str(error.message), *cells])


def _read_csv(document: YamlDocument, entry: DatasetEntry, index: int) -> tuple[str, bytes] | str:
    """The file named by `csv:` (beside the YAML, never outside its folder), or the problem."""
    folder = document.path.resolve().parent
    path = (folder / (entry.csv or "")).resolve()
    if not path.is_relative_to(folder):
        return _("tệp phải nằm trong thư mục của tệp YAML: %(path)s") % {"path": entry.csv}
    if not path.is_file():
        return _("không tìm thấy tệp %(path)s") % {"path": entry.csv}
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        return _("Tệp lớn hơn %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
    content = path.read_bytes()
    try:
        read_table(filename=path.name, content=content)
    except TableRefusedError as exc:
        return f"{path.name}: {_table_problems(exc)}"
    return path.name, content


def _check(document: YamlDocument, parsed: DatasetsFile) -> tuple[list[_Resolved], list[str]]:
    codes = {c for e in parsed.datasets for c in [e.publisher, e.spatial, *e.allowed_units] if c}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    errors: list[str] = []
    resolved: list[_Resolved] = []
    seen: set[str] = set()
    for index, entry in enumerate(parsed.datasets):
        if entry.name in seen:
            errors.append(
                document.error(("datasets", index, "name"), _("tên trùng: %(name)s") % {"name": entry.name})
            )
        seen.add(entry.name)
        errors += _unit_errors(document, entry, index, units)
        found = _Resolved(
            publisher=units.get(entry.publisher),
            spatial=units.get(entry.spatial or ""),
            allowed_units=tuple(units[c] for c in entry.allowed_units if c in units),
        )
        if entry.csv:
            table = _read_csv(document, entry, index)
            if isinstance(table, str):
                errors.append(document.error(("datasets", index, "csv"), table))
            else:
                found.filename, found.content = table
        resolved.append(found)
    return resolved, errors


def datasets_load(*, path: Path, actor: Actor | None = None) -> DatasetsLoadReport:
    """Check the whole file, then write it in one transaction; any error → nothing written.
    `actor=None`: the system (the command line); a person acts within the units they manage."""
    document = YamlDocument.load(path)
    try:
        parsed = DatasetsFile.model_validate(document.data or {})
    except ValidationError as exc:
        document.fail(document.pydantic_errors(exc))
        raise  # unreachable: fail raises
    resolved, errors = _check(document, parsed)
    if errors:
        document.fail(errors)
    report = DatasetsLoadReport()
    with transaction.atomic():
        for index, (entry, found) in enumerate(zip(parsed.datasets, resolved, strict=True)):
            try:
                with transaction.atomic():  # one entry's partial writes go with its error
                    _load_entry(entry, found, actor=actor, report=report)
            except TableRefusedError as exc:
                errors.append(document.error(("datasets", index, "csv"), _table_problems(exc)))
            except ApplicationError as exc:
                where = exc.field if exc.field in DatasetEntry.model_fields else "name"
                errors.append(document.error(("datasets", index, where), str(exc.message)))
        if errors:
            document.fail(errors)  # raises: the transaction rolls back
    return report


def _fields(entry: DatasetEntry, found: _Resolved) -> DatasetFields:
    assert found.publisher is not None  # checked before anything is written
    return DatasetFields(
        title=entry.title,
        publisher=found.publisher,
        name=entry.name,
        title_en=entry.title_en,
        description=entry.description,
        description_en=entry.description_en,
        themes=tuple(entry.themes),
        keywords=tuple(entry.keywords),
        licence=entry.licence,
        frequency=entry.frequency,
        temporal_start=entry.temporal_start,
        temporal_end=entry.temporal_end,
        spatial=found.spatial,
        contact_name=entry.contact_name,
        contact_email=entry.contact_email,
        access=entry.access,
        allowed_units=found.allowed_units,
    )


def _load_entry(
    entry: DatasetEntry, found: _Resolved, *, actor: Actor | None, report: DatasetsLoadReport
) -> None:
    dataset = Dataset.objects.filter(name=entry.name).first()
    if dataset is None:
        dataset = dataset_create(actor=actor, fields=_fields(entry, found))
        report.created.append(dataset.name)
        if found.content:
            upload_as(actor, dataset, filename=found.filename, content=found.content, note=entry.note)
        if entry.publish:
            publish_as(actor, dataset)
            report.published.append(dataset.name)
        return
    if found.content and _table_changed(dataset, found):
        version = upload_as(actor, dataset, filename=found.filename, content=found.content, note=entry.note)
        report.versions.append(f"{dataset.name} v{version.number}")
    else:
        report.unchanged.append(dataset.name)


def _table_changed(dataset: Dataset, found: _Resolved) -> bool:
    current = dataset_current_version(dataset)
    if current is None:
        return True
    table = read_table(filename=found.filename, content=found.content)
    rows = check(table, current.schema)  # a table that no longer fits is refused, with its cells
    return rows_hash(current.field_names, rows) != current.sha256


def upload_as(
    actor: Actor | None, dataset: Dataset, *, filename: str, content: bytes, note: str = ""
) -> DatasetVersion:
    return dataset_upload(actor=actor, dataset=dataset, filename=filename, content=content, note=note)


def publish_as(actor: Actor | None, dataset: Dataset) -> Dataset:
    return dataset_publish(actor=actor, dataset=dataset)


# ------------------------------------------------------------------------- one per indicator of a plan

# period type of the indicator's form → how often its dataset changes (the EU frequency codes)
FREQUENCIES: dict[str, str] = {
    DataSet.PeriodType.MONTHLY: Dataset.Frequency.MONTHLY,
    DataSet.PeriodType.QUARTERLY: Dataset.Frequency.QUARTERLY,
    DataSet.PeriodType.SIXMONTHLY: Dataset.Frequency.BIANNUAL,
    DataSet.PeriodType.YEARLY: Dataset.Frequency.ANNUAL,
}


@dataclass
class IndicatorDataset:
    dataset: Dataset
    created: bool
    version: DatasetVersion | None = None  # the first, when created


def indicator_dataset_name(plan_code: str, label: str) -> str:
    """`chi-tieu-quang-ngai-2026-ii-7` for indicator II.7 of plan quang-ngai-2026."""
    return slugify(f"chi-tieu-{plan_code}-{label.replace('.', '-')}")[:100]


def _publisher(indicator: Indicator) -> OrgUnit:
    """The indicator's lead agency; the plan's province when the lead is a group or a commune."""
    for responsibility in indicator.responsibilities.all():
        unit = responsibility.unit
        if (
            responsibility.role == Responsibility.Role.LEAD
            and unit is not None
            and unit.kind == OrgUnit.Kind.AGENCY
        ):
            return unit
    return indicator.plan.province


def _indicator_fields(indicator: Indicator) -> DatasetFields:
    # Stored data in both languages, written out (not gettext: the operator's language must not
    # decide the language of a dataset's title).
    plan = indicator.plan
    label, target = indicator.label, indicator.target_text
    description = (
        f"Giá trị của chỉ tiêu {label} “{indicator.name}” theo từng đơn vị và từng kỳ, tính từ số liệu "
        f"đã duyệt (tử số, mẫu số, giá trị). Mục tiêu năm {plan.year}: {target}. "
        f"Cơ quan chủ trì: {indicator.lead_text or '—'}. Nguồn: {plan.title}. "
        "tiendo tự cập nhật bộ dữ liệu khi có số liệu mới được duyệt; số liệu nháp không bao giờ có ở đây."
    )
    description_en = (
        f"Values of indicator {label} “{indicator.name_en or indicator.name}” by unit and period, "
        f"computed from approved data (numerator, denominator, value). Target for {plan.year}: {target}. "
        f"Source: {plan.title_en or plan.title}. tiendo updates the dataset whenever new data is "
        "approved; draft figures never appear here."
    )
    form = indicator.source_form
    return DatasetFields(
        title=f"Chỉ tiêu {label} năm {plan.year}: {indicator.name}"[:300],
        title_en=f"Indicator {label}, {plan.year}: {indicator.name_en}"[:300] if indicator.name_en else "",
        publisher=_publisher(indicator),
        name=indicator_dataset_name(plan.code, label),
        description=description,
        description_en=description_en,
        themes=("GOVE",),
        keywords=("chuyển đổi số", plan.code, label),
        licence=DEFAULT_LICENCE,
        frequency=FREQUENCIES.get(form.period_type, Dataset.Frequency.IRREGULAR)
        if form
        else Dataset.Frequency.IRREGULAR,
        temporal_start=plan.starts_on,
        temporal_end=plan.ends_on,
        spatial=plan.province,
        access=Dataset.Access.PUBLIC,
    )


def indicator_datasets_create(*, plan_code: str) -> list[IndicatorDataset]:
    """One dataset per indicator of the plan that has a formula (a numerator): created when missing,
    built and published at once, public, CC BY 4.0. Those that exist are left as their steward set
    them (a withdrawn one stays withdrawn)."""
    plan = Plan.objects.select_related("province").filter(code=plan_code).first()
    if plan is None:
        raise ApplicationError(_("Không có kế hoạch mã %(code)s.") % {"code": plan_code}, field="plan")
    indicators = (
        Indicator.objects.filter(plan=plan, numerator__isnull=False)
        .select_related("plan__province", "group", "source_form")
        .prefetch_related("responsibilities__unit")
        .order_by("group__sort", "sort")
    )
    results = []
    for indicator in indicators:
        name = indicator_dataset_name(plan.code, indicator.label)
        existing = Dataset.objects.filter(name=name).first()
        if existing is not None:
            results.append(IndicatorDataset(existing, created=False))
            continue
        with transaction.atomic():
            dataset = dataset_create(
                actor=None,
                fields=_indicator_fields(indicator),
                source=Dataset.Source.INDICATOR,
                source_indicator=indicator,
            )
            version = dataset_build(dataset=dataset)
            dataset = publish_as(None, dataset)
        results.append(IndicatorDataset(dataset, created=True, version=version))
    return results
