"""DHIS2's `dataValueSets` exchange: import (all-or-nothing, idempotent) and export.

Identifiers are codes (data element code, unit code, form code), i.e. DHIS2's `idScheme=code`.
Values land in the unit's submission for the form and period exactly as typed values do (the same
parsing and locking rules); `completeDate` submits them. Unlike DHIS2's default partial import,
a request with any conflict writes nothing (the issue's rule), and says why for every value.
Bulk by design: a fixed number of queries per request plus one per 500 values, whatever the size.

The package, by step: `schema` (the payload and the ImportSummary), `validate` (the checks, one
row each, in order), `apply` (the import: insert, update and delete of the values, the trail),
`export`. Its users import from here, as they did from the module it grew from.
"""

from tiendo.reporting.datavaluesets.apply import datavalueset_import
from tiendo.reporting.datavaluesets.export import datavalueset_export
from tiendo.reporting.datavaluesets.schema import (
    CHUNK,
    INSERT_BATCH,
    STRATEGIES,
    DataValueIn,
    DataValueSetIn,
    ImportSummary,
)

__all__ = [
    "CHUNK",
    "INSERT_BATCH",
    "STRATEGIES",
    "DataValueIn",
    "DataValueSetIn",
    "ImportSummary",
    "datavalueset_export",
    "datavalueset_import",
]
