"""Writes to the catalogue: datasets made, described, published and withdrawn; versions uploaded or
built from tiendo's own data. Each checks who acts and writes its audit row in the same transaction.

Who may manage a dataset: the CĐS office, and the admins and reporters of its publisher (or of a unit
above it). Anything else is "not found" for a dataset they cannot see, "forbidden" otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from psycopg import sql

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.core.text import fold_for_search
from tiendo.core.types import Actor
from tiendo.opendata import builders, selectors
from tiendo.opendata.models import Dataset, DatasetUsage, DatasetVersion, DatastoreRow, Licence, Theme
from tiendo.opendata.selectors import dataset_can_manage, publisher_can_manage
from tiendo.opendata.tables import Table, TableRefusedError, check, infer_schema, read_table, rows_hash
from tiendo.orgunits.models import OrgUnit

DEFAULT_LICENCE = "CC-BY-4.0"
ROW_CHUNK = 5000
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class DatasetFields:
    """What a person describes about a dataset (the form and the YAML alike)."""

    title: str
    publisher: OrgUnit
    name: str = ""
    title_en: str = ""
    description: str = ""
    description_en: str = ""
    themes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    licence: str = DEFAULT_LICENCE
    frequency: str = Dataset.Frequency.IRREGULAR
    temporal_start: date | None = None
    temporal_end: date | None = None
    spatial: OrgUnit | None = None
    contact_name: str = ""
    contact_email: str = ""
    access: str = Dataset.Access.PUBLIC
    allowed_units: tuple[OrgUnit, ...] = ()


def _refuse(message: str, field: str) -> ApplicationError:
    return ApplicationError(message, field=field)


def _clean(fields: DatasetFields, *, current: Dataset | None) -> tuple[dict[str, Any], list[Theme]]:
    title = fields.title.strip()
    if not title:
        raise _refuse(_("Tên bộ dữ liệu: không được để trống."), "title")
    name = slugify(fold_for_search(fields.name or (current.name if current else "") or title))[:100].strip(
        "-"
    )
    if not name:
        raise _refuse(_("Tên trong đường dẫn: chỉ gồm chữ không dấu, số và dấu gạch ngang."), "name")
    clash = Dataset.objects.filter(name=name)
    if current is not None:
        clash = clash.exclude(pk=current.pk)
    if clash.exists():
        raise _refuse(
            _("Tên trong đường dẫn “%(name)s” đã có bộ dữ liệu khác dùng.") % {"name": name}, "name"
        )
    if not Licence.objects.filter(pk=fields.licence).exists():
        raise _refuse(
            _("Giấy phép “%(id)s” không có trong danh mục giấy phép.") % {"id": fields.licence}, "licence"
        )
    themes = list(Theme.objects.filter(code__in=fields.themes))
    unknown = sorted(set(fields.themes) - {t.code for t in themes})
    if unknown:
        raise _refuse(
            _("Chủ đề không có trong danh mục: %(codes)s.") % {"codes": ", ".join(unknown)}, "themes"
        )
    if fields.access not in Dataset.Access.values:
        raise _refuse(_("Mức truy cập phải là public, shared hoặc restricted."), "access")
    if fields.frequency not in Dataset.Frequency.values:
        raise _refuse(_("Tần suất cập nhật không hợp lệ: %(f)s.") % {"f": fields.frequency}, "frequency")
    if fields.temporal_start and fields.temporal_end and fields.temporal_start > fields.temporal_end:
        raise _refuse(_("Thời gian bao phủ: ngày bắt đầu sau ngày kết thúc."), "temporal_end")
    if fields.access == Dataset.Access.RESTRICTED and not fields.allowed_units:
        raise _refuse(_("Bộ dữ liệu hạn chế phải nêu ít nhất một đơn vị được đọc."), "allowed_units")
    keywords = sorted({k.strip() for k in fields.keywords if k.strip()})
    values = {
        "name": name,
        "title": title[:300],
        "title_en": fields.title_en.strip()[:300],
        "description": fields.description.strip(),
        "description_en": fields.description_en.strip(),
        "publisher": fields.publisher,
        "keywords": keywords,
        "licence_id": fields.licence,
        "frequency": fields.frequency,
        "temporal_start": fields.temporal_start,
        "temporal_end": fields.temporal_end,
        "spatial": fields.spatial,
        "contact_name": fields.contact_name.strip(),
        "contact_email": fields.contact_email.strip(),
        "access": fields.access,
    }
    return values, themes


def dataset_create(
    *, actor: Actor | None, fields: DatasetFields, source: str = Dataset.Source.UPLOAD, **source_refs: Any
) -> Dataset:
    """A draft dataset; nothing leaves the office until `dataset_publish`. `actor=None`: the system."""
    if actor is not None and not publisher_can_manage(actor, fields.publisher):
        raise PermissionDeniedError(_("Bạn không quản lý dữ liệu của %(unit)s.") % {"unit": fields.publisher})
    values, themes = _clean(fields, current=None)
    with transaction.atomic():
        dataset = Dataset(
            **values,
            source=source,
            created_by=actor if actor and actor.is_authenticated else None,
            **source_refs,
        )
        dataset.save()
        _set_relations(dataset, themes, fields)
        audit_record(
            actor=actor, action="opendata.dataset.create", obj=dataset, changes={"name": dataset.name}
        )
    return dataset


def _set_relations(dataset: Dataset, themes: list[Theme], fields: DatasetFields) -> None:
    dataset.themes.set(themes)
    dataset.allowed_units.set(fields.allowed_units if fields.access == Dataset.Access.RESTRICTED else [])
    dataset.refresh_search_text(themes=themes)
    Dataset.objects.filter(pk=dataset.pk).update(search_text=dataset.search_text)


def dataset_update(*, actor: Actor, dataset: Dataset, fields: DatasetFields) -> Dataset:
    if not dataset_can_manage(actor, dataset) or not publisher_can_manage(actor, fields.publisher):
        raise PermissionDeniedError(_("Bạn không quản lý bộ dữ liệu này."))
    values, themes = _clean(fields, current=dataset)
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        changes = {k: [str(getattr(locked, k)), str(v)] for k, v in values.items() if getattr(locked, k) != v}
        for key, value in values.items():
            setattr(locked, key, value)
        locked.save()
        _set_relations(locked, themes, fields)
        audit_record(actor=actor, action="opendata.dataset.update", obj=locked, changes=changes)
    return locked


def _may_manage(actor: Actor | None, dataset: Dataset) -> bool:
    """`actor=None` is the system (a command, the loader): it acts for the office."""
    return actor is None or dataset_can_manage(actor, dataset)


def dataset_publish(*, actor: Actor | None, dataset: Dataset) -> Dataset:
    """Public (or listed, for shared and restricted) from now on; needs a version to publish."""
    if not _may_manage(actor, dataset):
        raise PermissionDeniedError(_("Bạn không quản lý bộ dữ liệu này."))
    if not dataset.versions.exists():
        raise ApplicationError(
            _("Chưa có phiên bản số liệu nào để công bố: hãy tải tệp lên trước."), field="version"
        )
    return _set_state(actor, dataset, Dataset.State.PUBLISHED, "opendata.dataset.publish")


def dataset_withdraw(*, actor: Actor, dataset: Dataset, reason: str) -> Dataset:
    """No longer listed or readable outside the office; its versions are kept."""
    if not dataset_can_manage(actor, dataset):
        raise PermissionDeniedError(_("Bạn không quản lý bộ dữ liệu này."))
    if not reason.strip():
        raise ApplicationError(_("Lý do thu hồi: không được để trống."), field="reason")
    return _set_state(
        actor, dataset, Dataset.State.WITHDRAWN, "opendata.dataset.withdraw", reason=reason.strip()
    )


def _set_state(actor: Actor | None, dataset: Dataset, state: str, action: str, reason: str = "") -> Dataset:
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        before = locked.state
        locked.state = state
        if state == Dataset.State.PUBLISHED and locked.published_at is None:
            locked.published_at = timezone.now()
        locked.save(update_fields=["state", "published_at", "modified_at"])
        audit_record(
            actor=actor, action=action, obj=locked, changes={"state": [before, state]}, reason=reason
        )
    return locked


def dataset_upload(
    *, actor: Actor | None, dataset: Dataset, filename: str, content: bytes, note: str = ""
) -> DatasetVersion:
    """A new version from a CSV or XLSX file: all of it or nothing (TableRefusedError names each bad
    cell). The first version's schema is inferred; every later one must match it."""
    if not _may_manage(actor, dataset):
        raise PermissionDeniedError(_("Bạn không quản lý bộ dữ liệu này."))
    if dataset.source != Dataset.Source.UPLOAD:
        raise ApplicationError(_("Bộ dữ liệu này do hệ thống tự dựng từ số liệu; không tải tệp lên được."))
    if len(content) > MAX_UPLOAD_BYTES:
        raise TableRefusedError(_("Tệp lớn hơn %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
    table = read_table(filename=filename, content=content)
    previous = dataset.versions.order_by("-number").first()
    schema = previous.schema if previous is not None else infer_schema(table)
    check(table, schema)
    return _store_version(
        actor,
        dataset,
        table,
        schema,
        filename=filename[:255],
        note=note[:500],
        provenance=_("tệp %(name)s") % {"name": filename},
    )


def _store_version(
    actor: Actor | None,
    dataset: Dataset,
    table: Table,
    schema: dict[str, Any],
    *,
    filename: str = "",
    note: str = "",
    provenance: str = "",
) -> DatasetVersion:
    names = [f["name"] for f in schema["fields"]]
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        last = locked.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = DatasetVersion.objects.create(
            dataset=locked,
            number=last + 1,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            schema=schema,
            row_count=len(table.rows),
            sha256=rows_hash(names, table.rows),
            filename=filename,
            note=note,
            provenance=provenance[:500],
        )
        for start in range(0, len(table.rows), ROW_CHUNK):
            DatastoreRow.objects.bulk_create(
                DatastoreRow(version=version, row=start + i + 1, data=row, text=row_text(row))
                for i, row in enumerate(table.rows[start : start + ROW_CHUNK])
            )
        datastore_indexes_create(version=version)
        locked.save(update_fields=["modified_at"])
        audit_record(
            actor=actor,
            action="opendata.version.create",
            obj=locked,
            changes={"version": version.number, "rows": version.row_count, "sha256": version.sha256},
        )
    return version


# ------------------------------------------------------------------------------------------ indexes
# A big version's own indexes (PostgreSQL): one per column one filters by, for that version's rows
# only — `(data -> 'column'), row WHERE version_id = N` — so datastore_search's filter on the column
# reads only the matching rows, in row order, however many other rows the table holds (the GIN index
# on all of them finds every version's rows with the value). Made with the rows, in the same
# transaction (the version is never readable without them); dropped when the version is deleted.

INDEX_PREFIX = "opendata_dsrow_v"


def datastore_indexes_create(*, version: DatasetVersion) -> list[str]:
    """Create the indexes `selectors.datastore_indexed_columns` names for the version (none below
    DATASTORE_INDEX_MIN_ROWS rows, none on SQLite); the names of those made. Indexes left by
    versions that no longer exist are dropped once this is committed (a DROP INDEX in the upload's
    transaction would hold every reader of the table until its end)."""
    if connection.vendor != "postgresql":
        return []
    columns = selectors.datastore_indexed_columns(version)
    if not columns:
        return []
    transaction.on_commit(datastore_indexes_prune)
    table = DatastoreRow._meta.db_table
    made = []
    with connection.cursor() as cursor:
        # the rows' foreign keys are checked at commit; PostgreSQL builds no index on a table with
        # checks pending, so they are made now (the rows were just written: they hold)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for position, column in enumerate(columns):
            name = selectors.datastore_index_name(version.pk, position)
            statement = sql.SQL(
                "CREATE INDEX IF NOT EXISTS {name} ON {table} ((data -> {column}), row) WHERE version_id = {id}"
            ).format(
                name=sql.Identifier(name),
                table=sql.Identifier(table),
                column=sql.Literal(column),
                id=sql.Literal(version.pk),
            )
            cursor.execute(statement.as_string(cursor.connection))
            made.append(name)
        cursor.execute(
            sql.SQL("ANALYZE {table}").format(table=sql.Identifier(table)).as_string(cursor.connection)
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return made


def datastore_indexes_of(version_ids: list[int] | None = None) -> dict[int, list[str]]:
    """The versions' own indexes that exist, by version id (every version's when None)."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE %s",
            [DatastoreRow._meta.db_table, INDEX_PREFIX + "%"],
        )
        names = [name for (name,) in cursor.fetchall()]
    found: dict[int, list[str]] = {}
    for name in names:
        number = name[len(INDEX_PREFIX) :].split("_", 1)[0]
        if (
            name.startswith(INDEX_PREFIX)
            and number.isdigit()
            and (version_ids is None or int(number) in version_ids)
        ):
            found.setdefault(int(number), []).append(name)
    return found


def datastore_indexes_drop(*, version_id: int) -> list[str]:
    """Drop a version's own indexes (after its deletion); the names dropped. Outside a transaction
    CONCURRENTLY, so that readers of other versions never wait for it."""
    names = datastore_indexes_of([version_id]).get(version_id, [])
    if not names:
        return []
    concurrently = sql.SQL("" if connection.in_atomic_block else "CONCURRENTLY ")
    with connection.cursor() as cursor:
        for name in names:
            statement = sql.SQL("DROP INDEX {concurrently}IF EXISTS {name}").format(
                concurrently=concurrently, name=sql.Identifier(name)
            )
            cursor.execute(statement.as_string(cursor.connection))
    return names


def datastore_indexes_prune() -> list[str]:
    """Drop the indexes of versions that no longer exist (deleted where no signal reached us)."""
    found = datastore_indexes_of()
    alive = set(DatasetVersion.objects.filter(pk__in=list(found)).values_list("pk", flat=True))
    dropped: list[str] = []
    for version_id in sorted(set(found) - alive):
        dropped += datastore_indexes_drop(version_id=version_id)
    return dropped


@receiver(post_delete, sender=DatasetVersion, dispatch_uid="opendata-datastore-indexes-drop")
def _drop_indexes_of_deleted(sender: type[DatasetVersion], instance: DatasetVersion, **kwargs: Any) -> None:
    """A deleted version's indexes go once the deletion is committed."""
    if connection.vendor == "postgresql" and selectors.datastore_indexed_columns(instance):
        version_id = instance.pk
        transaction.on_commit(lambda: datastore_indexes_drop(version_id=version_id))


def row_text(row: dict[str, Any]) -> str:
    return fold_for_search(" ".join(str(value) for value in row.values() if value is not None))


def dataset_build(*, dataset: Dataset) -> DatasetVersion | None:
    """Rebuild a dataset made from tiendo's own data; a new version only when the rows changed."""
    built = builders.build(dataset)
    if built is None:
        return None
    names = [f["name"] for f in built.schema["fields"]]
    current = dataset.versions.order_by("-number").first()
    if current is not None and current.sha256 == rows_hash(names, built.rows):
        return None
    table = Table(names=names, cells=[], rows=built.rows)
    return _store_version(None, dataset, table, built.schema, provenance=built.provenance)


def counter_increment(model: type[models.Model], **key: Any) -> int:
    """Add one to the `count` of the row `key` names, creating it at 1; returns the new count. Safe
    when two requests race: the loser of the INSERT adds to the winner's row."""
    rows = model._default_manager.filter(**key)
    if not rows.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                model._default_manager.create(**key, count=1)
        except IntegrityError:  # another request created it first
            rows.update(count=F("count") + 1)
    count: int = rows.values_list("count", flat=True).first() or 0
    return count


def usage_record(*, dataset: Dataset, kind: str) -> None:
    """Count one use of a dataset this month (a page view, a download, an API call).

    A use is a statistic, not something a user entered: on PostgreSQL its transaction commits without
    waiting for the disk (`synchronous_commit` off for this transaction only), so a crash may forget
    the uses of its last fraction of a second, and an API call does not wait for a flush it does not
    need. Access logs of shared and restricted data (`sharing.access_log_record`) keep the default,
    and so does a caller's own transaction (the setting would reach its other writes)."""
    month = timezone.localdate().replace(day=1)
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        counter_increment(DatasetUsage, dataset=dataset, month=month, kind=kind)
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        counter_increment(DatasetUsage, dataset=dataset, month=month, kind=kind)
