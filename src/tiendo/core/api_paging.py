"""The one pagination of /api/v1's lists: `?page=` and `?page_size=` bounded, so that no page number
reaches the database as an offset it cannot hold (`?page=9223372036854775807` was a 500, issue 10).

A page outside 1…MAX_PAGE, a size outside 1…MAX_PAGE_SIZE or a non-number is a 422 in the API's
error shape (the validation handler of tiendo.api), naming `page` or `page_size` and the bound.
"""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

PAGE_SIZE = 100
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000  # a million pages of 100: far beyond any list here, far below an offset's limit


class Pages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def __init__(self, page_size: int = PAGE_SIZE, **kwargs: object) -> None:
        super().__init__(page_size=page_size, max_page_size=MAX_PAGE_SIZE, **kwargs)
