"""The CKAN Action API's one view: /opendata/api/3/action/<name> (and /opendata/api/action/<name>,
where CKAN clients such as ckanapi call it).

Read it as CKAN 2.11's ckan/views/api.py does: GET with URL parameters or POST with a JSON body (or
a form); the answer in CKAN's envelope {"help", "success", "result" | "error"} with CKAN's status
codes. Every action reads, so POST needs no CSRF token. Access: anyone; what the caller sees is what
the catalogue lists for them (the selectors), as the anonymous reader unless they send one of our API
tokens (`Authorization: ApiToken d2pat_…`, the bare token as CKAN clients send it, or
`X-CKAN-API-Key`) or have a session. An unknown, revoked or expired token is refused (403), never
read as anonymous.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tiendo.core.types import Actor
from tiendo.opendata import ckan
from tiendo.opendata.models import SystemKey
from tiendo.opendata.readers import authorization_secret
from tiendo.opendata.sharing import KEY_PREFIX, KeyRefusedError, rate_limit_take, systemkey_authenticate
from tiendo.opendata.sharing_selectors import SystemReader, key_may_call
from tiendo.reporting.tokens import TokenRefusedError, apitoken_authenticate

logger = logging.getLogger(__name__)
CONTENT_TYPE = "application/json;charset=utf-8"
CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$")  # a JSONP callback: a JS name


def _finish(status: int, body: Any, *, callback: str = "") -> HttpResponse:
    result = body.get("result") if isinstance(body, dict) else None
    if isinstance(result, ckan.Serialized):  # written once, kept: into the envelope as it is
        envelope = json.dumps({k: v for k, v in body.items() if k != "result"}, ensure_ascii=False)
        text = f'{envelope[:-1]}, "result": {result}}}'
    else:
        text = json.dumps(body, ensure_ascii=False)
    if callback and status == 200:
        return HttpResponse(f"{callback}({text});", content_type="application/javascript;charset=utf-8")
    return HttpResponse(text, status=status, content_type=CONTENT_TYPE)


def _bad_request(message: str) -> HttpResponse:
    """CKAN's _finish_bad_request: status 400, the body a JSON string."""
    return _finish(400, f"Bad request - {message}")


def _mixed(query: Any) -> dict[str, Any]:
    """One value per key, a list when the key came several times (CKAN's `mixed`)."""
    return {key: values[0] if len(values) == 1 else values for key, values in query.lists()}


def _request_data(request: HttpRequest) -> dict[str, Any]:
    """The action's parameters: a POST's form or JSON body, else the URL's; ValueError if unreadable."""
    data: Any = {}
    if request.method == "POST" and request.POST:
        values = list(request.POST.values())
        if len(values) == 1 and values[0] in ("1", ""):  # a JSON object posted as a form's only key
            data = json.loads(next(iter(request.POST.keys())))
        else:
            data = _mixed(request.POST)
    elif request.method == "POST" and request.content_type != "multipart/form-data" and request.body:
        data = json.loads(request.body)
    elif request.GET:
        data = _mixed(request.GET)
    if not isinstance(data, dict):
        raise ValueError(f"Request data JSON decoded to {data!r} but it needs to be a dictionary.")
    return data


def _caller(request: HttpRequest, name: str = "") -> Actor:
    """Who calls: a system's key, a token's owner, the session's user, or the anonymous reader."""
    secret = authorization_secret(request)
    if not secret:
        return request.user
    if secret.startswith(KEY_PREFIX):
        return _system(secret, datastore=name == "datastore_search")
    try:
        token = apitoken_authenticate(secret)
    except TokenRefusedError as refused:
        raise ckan.NotAuthorized(str(refused.message)) from None
    if token is None:
        raise ckan.NotAuthorized(_("mã truy cập không hợp lệ."))
    if not {"read", "write"} & set(token.scopes):
        raise ckan.NotAuthorized(_("mã truy cập này không có quyền đọc (read)."))
    return token.user


def _system(secret: str, *, datastore: bool) -> Actor:
    """A system's key: refused when expired or revoked, or when it may not call this part of the API
    (datastore_search: the "datastore" area; every other action: "catalogue"); over its allowance for
    the minute, a 429 with Retry-After."""
    try:
        key = systemkey_authenticate(secret)
    except KeyRefusedError as refused:
        raise ckan.NotAuthorized(str(refused.message)) from None
    if key is None:
        raise ckan.NotAuthorized(_("khóa của hệ thống không hợp lệ."))
    area = SystemKey.Area.DATASTORE if datastore else SystemKey.Area.CATALOGUE
    if not key_may_call(key, area):
        raise ckan.NotAuthorized(_("khóa này không được gọi phần %(area)s của API.") % {"area": area})
    wait = rate_limit_take(key)
    if wait is not None:
        raise RateLimited(wait, key.rate_per_minute)
    return SystemReader(key, area=SystemKey.Area.DATASTORE)


class RateLimited(ckan.CkanError):
    status = 429

    def __init__(self, wait: int, allowance: int) -> None:
        super().__init__(
            _("quá %(n)s lần gọi trong một phút; thử lại sau %(s)s giây.") % {"n": allowance, "s": wait}
        )
        self.wait = wait

    def body(self) -> dict[str, Any]:
        return {"__type": "Rate Limit Error", "message": self.detail}


def _help_url(request: HttpRequest, name: str) -> str:
    path = reverse("opendata-ckan-action", kwargs={"name": "help_show"})
    return request.build_absolute_uri(path) + "?" + urlencode({"name": name})


@csrf_exempt  # every action reads; none writes
@require_http_methods(["GET", "POST"])
def action(request: HttpRequest, name: str) -> HttpResponse:
    function = ckan.ACTIONS.get(name)
    if function is None:
        return _bad_request(f"Action name not known: {name}")
    envelope: dict[str, Any] = {"help": _help_url(request, name)}
    try:
        params = _request_data(request)
    except ValueError as error:
        return _bad_request(f"JSON Error: {error}")
    callback = params.pop("callback", "")
    if callback and not (isinstance(callback, str) and CALLBACK.match(callback)):
        return _bad_request(_("callback phải là một tên hàm JavaScript"))
    try:
        user = AnonymousUser() if callback else _caller(request, name)  # JSONP: as CKAN, always anonymous
        call = ckan.Call(
            user=user, params=params, absolute=request.build_absolute_uri, path=request.get_full_path()
        )
        result = function(call)
    except RateLimited as error:
        response = _finish(error.status, {**envelope, "success": False, "error": error.body()})
        response["Retry-After"] = str(error.wait)
        return response
    except ckan.CkanError as error:
        return _finish(error.status, {**envelope, "success": False, "error": error.body()})
    except Exception:  # CKAN's answer to anything else: a 500 in the envelope, the cause in the log
        logger.exception("CKAN action %s failed", name)
        return _finish(500, {**envelope, "success": False, "error": ckan.CkanError().body()})
    wrap = callback if request.method == "GET" else ""  # CKAN wraps only a GET's answer
    return _finish(200, {**envelope, "success": True, "result": result}, callback=wrap)
