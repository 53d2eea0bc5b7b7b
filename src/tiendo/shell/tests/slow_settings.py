"""tiendo's settings with one slow page, for the serve test (a request that outlives a SIGTERM)."""

from tiendo.settings import *  # noqa: F403

ROOT_URLCONF = "tiendo.shell.tests.slow_urls"
