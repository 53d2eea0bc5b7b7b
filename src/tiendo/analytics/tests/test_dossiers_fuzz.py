"""hypothesis over the dossier CSV import with hostile files: any bytes, any encoding, any cells.
The import either stores the file or raises the domain error — never another exception — and a
refusal stores nothing (on both databases)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiendo.analytics.feed import dossiers_import
from tiendo.analytics.models import Dossier, DossierCount
from tiendo.analytics.tests.test_dossiers_import import HEADER, row
from tiendo.core.exceptions import ApplicationError
from tiendo.core.models import AuditLog

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CELL = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "21211",
            "SKHCN",
            "xa",
            "tinh",
            "toan_trinh",
            "resolved",
            "1",
            "0",
            "5",
            "9999-12-31",
            "0001-01-01T00:00:00",
            "1e30",
            '"',
            ",",
            "\n",
            "\x00",
            "\ufeff",
        ]
    ),
)
LINE = st.lists(CELL, min_size=0, max_size=16).map(lambda cells: ",".join(cells) + "\n")
ENCODING = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1258", "utf-32"])


def import_or_refuse(tmp_path, content: bytes) -> None:
    path = tmp_path / "hoso.csv"
    path.write_bytes(content)
    before = (Dossier.objects.count(), DossierCount.objects.count(), AuditLog.objects.count())
    try:
        dossiers_import(path=path)
    except ApplicationError:
        assert (Dossier.objects.count(), DossierCount.objects.count(), AuditLog.objects.count()) == before


@FUZZ
@given(
    lines=st.lists(
        st.one_of(
            LINE,
            st.builds(
                row,
                st.text(min_size=1, max_size=8).filter(
                    lambda t: "," not in t and "\n" not in t and "\r" not in t and '"' not in t
                ),
            ),
        ),
        max_size=6,
    ),
    encoding=ENCODING,
)
def test_any_text_in_any_encoding_is_imported_or_refused_whole(tmp_path, shipped_data, lines, encoding):
    text = HEADER + "".join(lines)
    try:
        content = text.encode(encoding)
    except UnicodeEncodeError:
        content = text.encode("utf-8", errors="surrogatepass")
    import_or_refuse(tmp_path, content)


@FUZZ
@given(content=st.binary(max_size=400), keep_header=st.booleans())
def test_any_bytes_are_imported_or_refused_whole(tmp_path, shipped_data, content, keep_header):
    import_or_refuse(tmp_path, (HEADER.encode() if keep_header else b"") + content)
