"""The open-data face, each group in its own module: the public catalogue, its pages and downloads
(urls_public), the CKAN Action API (urls_ckan), the DCAT catalogue (urls_dcat), the publishers'
pages (urls_manage), sharing between agencies (urls_sharing), the public progress pages and the
units withheld from them (urls_progress)."""

from tiendo.opendata.urls_ckan import urlpatterns as ckan_patterns
from tiendo.opendata.urls_dcat import urlpatterns as dcat_patterns
from tiendo.opendata.urls_manage import urlpatterns as manage_patterns
from tiendo.opendata.urls_progress import urlpatterns as progress_patterns
from tiendo.opendata.urls_public import urlpatterns as public_patterns
from tiendo.opendata.urls_sharing import urlpatterns as sharing_patterns

urlpatterns = [
    *ckan_patterns,
    *dcat_patterns,
    *progress_patterns,
    *manage_patterns,
    *sharing_patterns,
    *public_patterns,
]
