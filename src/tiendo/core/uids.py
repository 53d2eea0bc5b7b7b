"""DHIS2-style identifiers: 11 characters, a letter first, then letters and digits (DHIS2's CodeGenerator).

tiendo derives them from what a record already has that is stable and official — its kind and its
code — instead of drawing them at random: every install of the shipped units, forms and elements
then carries the same UIDs, so two provinces' (or a test and a production server's) exports line up
and a DHIS2 instance mapped once stays mapped. A record without a code gets a random one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALPHABET = "0123456789" + LETTERS
UID_LENGTH = 11
UID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
# DHIS2's fixed UID of the "default" category option combo (the same on every DHIS2 instance)
DEFAULT_COC_UID = "HllvX50cXC0"


def _encode(number: int) -> str:
    first = LETTERS[number % len(LETTERS)]
    number //= len(LETTERS)
    rest = []
    for _ in range(UID_LENGTH - 1):
        number, digit = divmod(number, len(ALPHABET))
        rest.append(ALPHABET[digit])
    return first + "".join(rest)


def uid_for(kind: str, code: str) -> str:
    """The UID of the record of `kind` with this `code`: the same on every install."""
    digest = hashlib.sha256(f"tiendo:{kind}:{code}".encode()).digest()
    return _encode(int.from_bytes(digest, "big"))


def uid_unused(kind: str, code: str, taken: Callable[[str], bool]) -> str:
    """The UID a new record of `kind` with this `code` gets: `uid_for(kind, code)`, unless another
    record already holds it — one renamed from this code keeps the UID it was given — then the next
    derivation (`code#2`, `code#3`…), so the save never breaks the unique constraint."""
    candidate, attempt = uid_for(kind, code), 1
    while taken(candidate):
        attempt += 1
        candidate = uid_for(kind, f"{code}#{attempt}")
    return candidate


def uid_random() -> str:
    return _encode(secrets.randbits(128))


def is_uid(text: str) -> bool:
    return bool(UID_PATTERN.match(text))
