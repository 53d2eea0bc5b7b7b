"""hypothesis over the certificate upload with hostile PKCS#12 files: any bytes, a real file with
bytes changed or cut, its iteration counts raised. The upload either keeps the certificate or raises
the domain error — never another exception — and a refusal keeps nothing."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiendo.core.exceptions import ApplicationError
from tiendo.core.models import AuditLog
from tiendo.documents.models import SigningCertificate
from tiendo.documents.services import signing_certificate_upload
from tiendo.documents.tests.test_upload_bounds import with_mac_iterations
from tiendo.documents.tests.throwaway_ca import ThrowawayCA

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REAL = ThrowawayCA().issue_pkcs12("Sở")


def upload_or_refuse(office_admin, content: bytes, passphrase: str = "mat-khau") -> None:
    before = SigningCertificate.objects.count(), AuditLog.objects.count()
    try:
        signing_certificate_upload(actor=office_admin, name="x", content=content, passphrase=passphrase)
    except ApplicationError:
        assert (SigningCertificate.objects.count(), AuditLog.objects.count()) == before


@FUZZ
@given(content=st.binary(max_size=600), passphrase=st.text(max_size=10))
def test_any_bytes_are_kept_or_refused(office_admin, content, passphrase):
    upload_or_refuse(office_admin, content, passphrase)


@FUZZ
@given(
    changes=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=4),
    cut=st.one_of(st.none(), st.integers(min_value=0)),
    iterations=st.one_of(st.none(), st.integers(min_value=0, max_value=2**31 - 1)),
)
def test_a_real_file_altered_is_kept_or_refused(office_admin, changes, cut, iterations):
    content = with_mac_iterations(REAL, iterations) if iterations is not None else REAL
    data = bytearray(content)
    for at, byte in changes:
        data[at % len(data)] = byte
    if cut is not None:
        data = data[: cut % len(data)]
    upload_or_refuse(office_admin, bytes(data))
