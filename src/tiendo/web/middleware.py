"""Middleware that works both ways: under ASGI (uvicorn) a request that meets only async-capable
middleware and an async view never changes thread, which is what a drill-down polled by twenty
dashboards at once needs; under WSGI and in tests the same classes run synchronously."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib.auth import middleware as _auth
from django.contrib.messages import middleware as _messages
from django.contrib.sessions import middleware as _sessions
from django.middleware import clickjacking as _clickjacking
from django.middleware import common as _common
from django.middleware import csrf as _csrf
from django.middleware import locale as _locale
from django.middleware import security as _security
from whitenoise.middleware import WhiteNoiseMiddleware


class BothWays:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        return self.handle(request) or self.get_response(request)

    async def __acall__(self, request):
        return self.handle(request) or await self.get_response(request)

    def handle(self, request):
        """Answer the request here (return a response) or let it through (return None)."""
        return None


class VietnameseFirstMiddleware(BothWays):
    """Vietnamese is the default whatever the browser asks for; English is chosen explicitly.

    Django's LocaleMiddleware would follow the browser's Accept-Language header (English for most
    office machines and for headless browsers). We drop the header so only the language switch
    (stored in the django_language cookie) or a /en/ choice changes the language.
    """

    def handle(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return None


class StaticFilesMiddleware(BothWays):
    """WhiteNoise's static files, with everything else passed straight on.

    WhiteNoise's own middleware is synchronous only, so under ASGI Django would run every request —
    static or not — through a thread for it. Here only a static file found by WhiteNoise is served
    by it (in a thread when async); the lookup itself is WhiteNoise's, unchanged.
    """

    def __init__(self, get_response) -> None:
        super().__init__(get_response)
        self.whitenoise = WhiteNoiseMiddleware(get_response)

    def find(self, request):
        if self.whitenoise.autorefresh:
            return self.whitenoise.find_file(request.path_info)
        return self.whitenoise.files.get(request.path_info)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        static_file = self.find(request)
        if static_file is not None:
            return self.whitenoise.serve(static_file, request)
        return self.get_response(request)

    async def __acall__(self, request):
        static_file = (
            await sync_to_async(self.find)(request) if self.whitenoise.autorefresh else self.find(request)
        )
        if static_file is not None:
            return await sync_to_async(self.whitenoise.serve, thread_sensitive=False)(static_file, request)
        return await self.get_response(request)


# Django's middleware answer async calls by sending each process_request/process_response to a
# thread (two thread changes per middleware, ~17 per request here: 4 ms of the 5 a request cost under
# uvicorn). Declared synchronous only, they run one after another in a single thread: Django then
# changes thread once on the way in and once around the view.
def _synchronous(base: type) -> type:
    return type(base.__name__, (base,), {"async_capable": False, "__module__": __name__})


SecurityMiddleware = _synchronous(_security.SecurityMiddleware)
SessionMiddleware = _synchronous(_sessions.SessionMiddleware)
LocaleMiddleware = _synchronous(_locale.LocaleMiddleware)
CommonMiddleware = _synchronous(_common.CommonMiddleware)
CsrfViewMiddleware = _synchronous(_csrf.CsrfViewMiddleware)
AuthenticationMiddleware = _synchronous(_auth.AuthenticationMiddleware)
MessageMiddleware = _synchronous(_messages.MessageMiddleware)
XFrameOptionsMiddleware = _synchronous(_clickjacking.XFrameOptionsMiddleware)
