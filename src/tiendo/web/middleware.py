from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.translation import check_for_language

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


class PublicPageCacheMiddleware:
    """The public progress pages (/opendata/progress/…) for a reader without a session, answered
    from a stored rendering before the rest of the middleware runs (sessions, CSRF, authentication,
    CSP…: most of what a page costs once its figures are computed), with the headers that chain
    gave the stored answer (CSP, security headers, Vary, ETag).

    The store's key is the page's ETag (`opendata.progress.page_etag`: the figures' stamp, the
    language, the address, the public reader), so a change of data is a new key and the old
    rendering is never served again. Only an answer whose ETag is the public one, with no cookie set,
    is stored. Readers with a session cookie (signed in, or ever were) take the whole chain.
    TIENDO_ANALYTICS_CACHE_SECONDS = 0 (the analytics' brief cache off, as in the test suite) turns
    this store off too.
    """

    PREFIX = "/opendata/progress/"
    KEPT_SECONDS = 600

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method != "GET"
            or not request.path.startswith(self.PREFIX)
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or settings.TIENDO_ANALYTICS_CACHE_SECONDS <= 0
            or (settings.SECURE_SSL_REDIRECT and not request.is_secure())  # SecurityMiddleware redirects it
        ):
            return self.get_response(request)
        request.get_host()  # a host not in ALLOWED_HOSTS is refused (400) here too, not answered
        from tiendo.opendata.progress import PUBLIC_READER, page_etag, progress_stamp

        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if not language or not check_for_language(language):
            language = settings.LANGUAGE_CODE
        etag = page_etag(
            stamp=progress_stamp(), language=language, path=request.get_full_path(), reader=PUBLIC_READER
        )
        key = f"public-page:{request.scheme}:{etag}"  # the chain's headers differ by scheme (HSTS)
        kept = cache.get(key)
        if kept is not None:
            content, headers = kept
            if etag in request.headers.get("If-None-Match", ""):
                answer: HttpResponse = HttpResponseNotModified()
                content_headers = ("Content-Type", "Content-Length", "Content-Disposition")
                headers = {k: v for k, v in headers.items() if k not in content_headers}
            else:
                answer = HttpResponse(content)
            for name, value in headers.items():
                answer.headers[name] = value
            return answer
        response = self.get_response(request)
        if (
            response.status_code == 200
            and response.get("ETag") == etag
            and not response.cookies
            and not getattr(response, "streaming", False)
        ):
            headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
            cache.set(key, (response.content, headers), self.KEPT_SECONDS)
        return response


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
