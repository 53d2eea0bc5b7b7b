"""Production settings come from the environment, and the documented production block makes
`tiendo check --deploy` report nothing.

The block is read from docs/operator-guide.md ("Production"), so the guide and the test cannot drift.
"""

from __future__ import annotations

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[3]
SETTINGS_FILE = ROOT / "src" / "tiendo" / "settings.py"
GUIDES = (ROOT / "docs" / "operator-guide.md", ROOT / "docs" / "huong-dan-van-hanh.md")
BLOCK = re.compile(r"```sh\n# tiendo-production-env\n(.*?)```", re.S)


def production_env(guide: Path) -> dict[str, str]:
    """The `NAME=value` lines of the guide's production block (comments and blank lines skipped)."""
    match = BLOCK.search(guide.read_text(encoding="utf-8"))
    assert match, f"{guide.name}: no ```sh block starting '# tiendo-production-env'"
    pairs = {}
    for line in match.group(1).splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            name, _, value = line.removeprefix("export ").partition("=")
            pairs[name] = value
    return pairs


def read_settings(monkeypatch, **env: str) -> dict[str, Any]:
    """The settings module evaluated with exactly these TIENDO_* variables (others removed)."""
    for name in list(os.environ):
        if name.startswith("TIENDO_") and name not in ("TIENDO_DATA_DIR",):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_both_guides_give_the_same_production_block():
    english, vietnamese = (production_env(guide) for guide in GUIDES)
    assert english == vietnamese
    assert english["TIENDO_HTTPS"] == "true" and english["TIENDO_BEHIND_TLS_PROXY"] == "true"


def test_check_deploy_reports_no_issue_in_the_documented_production_configuration(tmp_path):
    env = production_env(GUIDES[0])
    secret = tmp_path / "secret_key"
    secret.write_text(secrets.token_urlsafe(50), encoding="utf-8")
    env["TIENDO_SECRET_KEY_FILE"] = str(secret)  # the guide's path, made here
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("tiendo")), "check", "--deploy", "--fail-level", "WARNING"],
        env={**base, **env, "TIENDO_DATA_DIR": str(tmp_path / "var"), "TIENDO_LANG": "en"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_without_any_variable_the_site_is_plain_http_and_check_deploy_would_warn(monkeypatch):
    values = read_settings(monkeypatch)
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False and values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert (values["SECURE_REFERRER_POLICY"], values["X_FRAME_OPTIONS"]) == ("same-origin", "DENY")
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True


def test_tiendo_https_turns_on_the_https_set(monkeypatch):
    values = read_settings(monkeypatch, TIENDO_HTTPS="true")
    assert values["SECURE_SSL_REDIRECT"] and values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] == 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # trusting a proxy header is a separate choice


@pytest.mark.parametrize(
    ("variable", "value", "setting", "expected"),
    [
        ("TIENDO_HSTS_SECONDS", "600", "SECURE_HSTS_SECONDS", 600),
        ("TIENDO_HSTS_INCLUDE_SUBDOMAINS", "false", "SECURE_HSTS_INCLUDE_SUBDOMAINS", False),
        ("TIENDO_HSTS_PRELOAD", "false", "SECURE_HSTS_PRELOAD", False),
        ("TIENDO_SSL_REDIRECT", "false", "SECURE_SSL_REDIRECT", False),
        ("TIENDO_SESSION_COOKIE_SECURE", "false", "SESSION_COOKIE_SECURE", False),
        ("TIENDO_CSRF_COOKIE_SECURE", "false", "CSRF_COOKIE_SECURE", False),
        ("TIENDO_BEHIND_TLS_PROXY", "true", "SECURE_PROXY_SSL_HEADER", ("HTTP_X_FORWARDED_PROTO", "https")),
        (
            "TIENDO_REFERRER_POLICY",
            "strict-origin-when-cross-origin",
            "SECURE_REFERRER_POLICY",
            "strict-origin-when-cross-origin",
        ),
        ("TIENDO_X_FRAME_OPTIONS", "sameorigin", "X_FRAME_OPTIONS", "SAMEORIGIN"),
        ("TIENDO_CONTENT_TYPE_NOSNIFF", "false", "SECURE_CONTENT_TYPE_NOSNIFF", False),
        ("TIENDO_TOKEN_MAX_DAYS", "30", "TIENDO_TOKEN_DAYS", 30),  # the default is capped by the maximum
    ],
)
def test_each_setting_follows_its_variable_over_tiendo_https(monkeypatch, variable, value, setting, expected):
    assert read_settings(monkeypatch, TIENDO_HTTPS="true", **{variable: value})[setting] == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TIENDO_HTTPS", "maybe"),
        ("TIENDO_HSTS_SECONDS", "-1"),
        ("TIENDO_REFERRER_POLICY", "everyone"),
        ("TIENDO_X_FRAME_OPTIONS", "ALLOW-FROM x"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(monkeypatch, variable, value):
    with pytest.raises(ImproperlyConfigured, match=variable):
        read_settings(monkeypatch, **{variable: value})


@pytest.mark.django_db
def test_with_the_https_redirect_on_healthz_still_answers_over_plain_http_and_pages_redirect(
    settings, client
):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    redirected = client.get("/plans/")
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")


def test_an_empty_variable_keeps_the_https_default_instead_of_turning_it_off(monkeypatch):
    empty = dict.fromkeys(
        (
            "TIENDO_SSL_REDIRECT",
            "TIENDO_SESSION_COOKIE_SECURE",
            "TIENDO_CSRF_COOKIE_SECURE",
            "TIENDO_HSTS_INCLUDE_SUBDOMAINS",
            "TIENDO_HSTS_PRELOAD",
            "TIENDO_HSTS_SECONDS",
            "TIENDO_CONTENT_TYPE_NOSNIFF",
        ),
        " ",
    )
    values = read_settings(monkeypatch, TIENDO_HTTPS="true", **empty)
    assert values["SECURE_SSL_REDIRECT"] and values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["SECURE_HSTS_SECONDS"] == 31_536_000 and values["SECURE_CONTENT_TYPE_NOSNIFF"] is True


@pytest.mark.parametrize(("choice", "ancestors"), [("DENY", ["'none'"]), ("SAMEORIGIN", ["'self'"])])
def test_the_csp_frame_ancestors_follows_the_x_frame_options_choice(monkeypatch, choice, ancestors):
    # a browser that knows CSP ignores X-Frame-Options, so SAMEORIGIN alone would change nothing
    values = read_settings(monkeypatch, TIENDO_X_FRAME_OPTIONS=choice)
    assert values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["frame-ancestors"] == ancestors
