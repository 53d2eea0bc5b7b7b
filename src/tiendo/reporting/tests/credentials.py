"""How a test calls the API as a user: HTTP Basic with the personas' password (`pw-<username>`),
or — for a role whose sign-in asks for a second factor, which Basic cannot give — an API token."""

from __future__ import annotations

import base64

from tiendo.orgunits.selectors import user_requires_second_factor
from tiendo.reporting.tokens import apitoken_create


def api_auth(user) -> dict[str, str]:
    if user_requires_second_factor(user):
        issued = apitoken_create(actor=None, user=user, name="tests", scopes=["read", "write"])
        return {"HTTP_AUTHORIZATION": f"ApiToken {issued.secret}"}
    basic = base64.b64encode(f"{user.username}:pw-{user.username}".encode()).decode()
    return {"HTTP_AUTHORIZATION": "Basic " + basic}
