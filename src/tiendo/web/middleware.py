from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

API_PREFIXES = ("/api/", "/opendata/api/")  # machine faces: their callers' own rules apply


class VietnameseFirstMiddleware:
    """Vietnamese is the default whatever the browser asks for; English is chosen explicitly.

    Django's LocaleMiddleware would follow the browser's Accept-Language header (English for most
    office machines and for headless browsers). We drop the header so only the language switch
    (stored in the django_language cookie) or a /en/ choice changes the language.

    The APIs (/api/…, the CKAN API at /opendata/api/…) keep the header: a system that asks for English gets its error messages in
    English; without the header it gets Vietnamese, the default.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIXES):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


def run_django_middleware_synchronously() -> None:
    """Declare Django's middleware (and django-csp's) synchronous only (called once, from WebConfig.ready).

    Under ASGI (uvicorn) Django calls an async-capable `MiddlewareMixin` by sending each of its
    process_request / process_response hooks to a thread: about 17 thread changes per request here,
    4 of the 5 ms a request cost. Declared synchronous, the whole chain runs in one thread: Django
    changes thread once on the way in and once around an async view. The classes keep their dotted
    paths in MIDDLEWARE, which Django's deploy checks look for.
    """
    from django.conf import settings
    from django.utils.module_loading import import_string

    for path in settings.MIDDLEWARE:
        middleware = import_string(path)
        # axes too: its async path hands the lockout callable the wrong arguments (axes 8.3)
        if path.startswith(("django.", "csp.", "axes.")) and getattr(middleware, "async_capable", False):
            middleware.async_capable = False
