"""The web face's pages: those that compose several domains (home, plan, indicator, unit) and the
site-wide ones (404, health). A page that needs only its own domain stays in that app's views."""

from tiendo.web.views.home import healthz, home, not_found
from tiendo.web.views.indicators import indicator_detail, indicator_units
from tiendo.web.views.plans import plan_detail
from tiendo.web.views.tokens import api_token_action, api_tokens
from tiendo.web.views.units import unit_detail

__all__ = [
    "api_token_action",
    "api_tokens",
    "healthz",
    "home",
    "indicator_detail",
    "indicator_units",
    "not_found",
    "plan_detail",
    "unit_detail",
]
