"""Which rows of a version a DataStore query matches, kept in each process (as Solr's filterCache
keeps the documents a filter matches).

A version's rows never change — a new upload or build is a new version — so the row numbers a filter
matches, in the order asked, stay true for as long as the version exists. Computed once (one scan of
the matching rows), they answer the exact total and any page of every later request with the same
filter: the page is then read by its row numbers, a hundred probes of the (version, row) index,
instead of a walk over every matching row for the OFFSET and another for the count.

Only row numbers are kept, never a value: every request still checks who reads before it looks here,
and reads the page's values from the database. The key carries the version's id and content hash, so a
list can never answer for other rows. Bounded in bytes, least recently used out first; a query
matching more rows than MAX_ROWS is not kept (its count is, as a number).
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Hashable

from django.conf import settings

MAX_ROWS = 250_000  # the longest list kept (1 MB); more matches: pages by OFFSET, the count kept
DEFAULT_BUDGET = 64 * 1024 * 1024  # bytes of row numbers per process (16 million rows)


class MatchCache:
    """A least-recently-used map of query keys to row numbers (array of int) or to a count (int)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, array[int] | int] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _size(value: array[int] | int) -> int:
        return 64 + (value.itemsize * len(value) if isinstance(value, array) else 0)

    def get(self, key: Hashable) -> array[int] | int | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value: array[int] | int) -> None:
        budget = getattr(settings, "TIENDO_DATASTORE_MATCH_CACHE_BYTES", DEFAULT_BUDGET)
        size = self._size(value)
        if size > budget:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= self._size(previous)
            self._entries[key] = value
            self._bytes += size
            while self._bytes > budget:
                _key, dropped = self._entries.popitem(last=False)
                self._bytes -= self._size(dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


MATCHES = MatchCache()
