"""HTTP helpers shared by the pages of every app."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404

from tiendo.core.exceptions import NotFoundError


def not_found_on_error(view: Callable) -> Callable:
    """Turn a selector's NotFoundError into Django's 404 page (also for objects the user may not see)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except NotFoundError as exc:
            raise Http404(str(exc.message)) from None

    return wrapper
