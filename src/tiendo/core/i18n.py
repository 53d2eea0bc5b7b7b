"""One way to show a name in the active language.

Plans, units, forms and data elements are data written in Vietnamese, some with an English twin
(`name` and `name_en`, `title` and `title_en`). The English twin is shown when the interface is in
English and the data has one; otherwise the Vietnamese, as printed.
"""

from __future__ import annotations

from typing import Any, overload

from django.utils.translation import get_language


def localized(vi: str, en: str) -> str:
    """`en` when the active language is English and `en` is not empty, else `vi`."""
    return en if en and get_language() == "en" else vi


class LocalizedField:
    """A read-only attribute naming a field in the active language.

    `display_name = LocalizedField("name")` reads `name`, or `name_en` in English when it is set.
    """

    def __init__(self, field: str) -> None:
        self.field = field
        self.field_en = f"{field}_en"

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> LocalizedField: ...

    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> str: ...

    def __get__(self, instance: object | None, owner: type[Any] | None = None) -> str | LocalizedField:
        if instance is None:
            return self
        return localized(getattr(instance, self.field), getattr(instance, self.field_en))
