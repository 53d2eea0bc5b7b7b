"""The IOC's pages, each group in its own module: the live page and devices (urls_live), alert rules
and the alert history (urls_alerts), the registry kept by the office (urls_registry)."""

from tiendo.ioc.urls_alerts import urlpatterns as alert_patterns
from tiendo.ioc.urls_live import urlpatterns as live_patterns
from tiendo.ioc.urls_registry import urlpatterns as registry_patterns

urlpatterns = [*live_patterns, *alert_patterns, *registry_patterns]
