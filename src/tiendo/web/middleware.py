from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class VietnameseFirstMiddleware:
    """Vietnamese is the default whatever the browser asks for; English is chosen explicitly.

    Django's LocaleMiddleware would follow the browser's Accept-Language header (English for most
    office machines and for headless browsers). We drop the header so only the language switch
    (stored in the django_language cookie) or a /en/ choice changes the language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
