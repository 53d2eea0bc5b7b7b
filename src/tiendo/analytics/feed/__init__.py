"""The public-service dossier feed: CSV import (streaming, all-or-nothing, upsert on dossier_id), the
same for batches of the API, and the counts per unit and month it keeps (docs/dossier-feed-format.md).

By sub-domain, each importing only those above it in this list (no cycle):
  schema    the CSV columns, the stored fields, the API's batch records, ImportResult, DossierFileError
  flags     what a dossier counts towards: `dossier_flags` in Python, `flags_sql` in SQL
  counts    DossierCount's upkeep (deltas, the full recount), the HS_* elements, `feed_columns`
  csv       reading and checking lines (`parse_rows`), every bad line named
  sqlite    the import on SQLite (batched upserts)
  postgres  the import on PostgreSQL (COPY, one converting statement, the line-by-line fallback)
  selectors reads of the counts for the pages and the formulas
  services  `dossiers_import`, `dossiers_derive`

The names below are the feed's public surface; import them from `tiendo.analytics.feed`.
"""

from tiendo.analytics.feed.counts import COUNTED, feed_column, feed_columns
from tiendo.analytics.feed.flags import DERIVED, Flag, dossier_flags, flags_sql
from tiendo.analytics.feed.schema import COLUMNS, DossierFileError, ImportResult
from tiendo.analytics.feed.selectors import (
    FeedTotal,
    feed_periods,
    feed_totals,
    feed_unit_sums,
    feed_units,
    feed_value,
)
from tiendo.analytics.feed.services import dossiers_derive, dossiers_import

__all__ = [
    "COLUMNS",
    "COUNTED",
    "DERIVED",
    "DossierFileError",
    "FeedTotal",
    "Flag",
    "ImportResult",
    "dossier_flags",
    "dossiers_derive",
    "dossiers_import",
    "feed_column",
    "feed_columns",
    "feed_periods",
    "feed_totals",
    "feed_unit_sums",
    "feed_units",
    "feed_value",
    "flags_sql",
]
