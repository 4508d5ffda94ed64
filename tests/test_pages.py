"""Public pages of the foundation, health check, production settings and database outages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from directory.templatetags.site import sms_href

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-key-3f9c1e7a5b2d8c4e6f0a1b3c5d7e9f2a4b6c8d0e",
    "ALLOWED_HOSTS": "directory.example.org",
    "SECURE_HTTPS": "",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    dropped = {"SECURE_HTTPS", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    full_env = {k: v for k, v in os.environ.items() if k not in dropped}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.django_db
def test_every_page_shows_the_988_lifeline_to_call_or_text(client, resources):
    for path in ["/", "/resources/", "/providers/", "/match/", "/guides/", "/modalities/", "/no-such-page/"]:
        page = client.get(path).content.decode()
        banner = page[page.index('<aside class="crisis-banner"'):page.index("</aside>")]
        assert 'href="tel:988">Call 988</a>' in banner, path
        assert 'href="sms:988">Text 988</a>' in banner, path
        assert "Spanish: press 2, or text AYUDA" in banner, path
        assert "Suicide &amp; Crisis Lifeline" in page, path


@pytest.mark.django_db
def test_the_resources_page_lists_crisis_lines_before_support_organizations(client, resources):
    page = client.get("/resources/").content.decode()
    assert page.index("Disaster Distress Helpline") < page.index("SAMHSA")
    assert "1-800-985-5990" in page


@pytest.mark.django_db
def test_the_resources_page_groups_crisis_lines_by_region_each_with_links_to_call_and_text(client, resources):
    page = client.get("/resources/").content.decode()
    canada = page[page.index('<h3 id="region-canada">'):page.index('<h3 id="region-quebec">')]
    quebec = page[page.index('<h3 id="region-quebec">'):page.index('id="support-organizations"')]
    assert "9-8-8 Suicide Crisis Helpline" in canada and 'href="sms:988"' in canada
    assert 'href="tel:18662773553">Call 1-866-277-3553</a>' in quebec and "1-866-APPELLE" in quebec
    for link in [
        'href="tel:988">Call 988</a>', 'href="sms:838255">Text 838255</a>',
        'href="sms:741741?body=HOME">Text HOME to 741741</a>',
        'href="tel:18664887386">Call 1-866-488-7386</a>', 'href="sms:678678?body=START">Text START to 678-678</a>',
        'href="sms:18009855990">Text 1-800-985-5990</a>', 'href="tel:911">Call 911</a>',
        'href="tel:18006624357">Call 1-800-662-4357</a>',
    ]:
        assert link in page, link


@pytest.mark.parametrize("text_number, href", [
    ("988", "sms:988"),
    ("HOME to 741741", "sms:741741?body=HOME"),
    ("START to 678-678", "sms:678678?body=START"),
    ("1-800-985-5990", "sms:18009855990"),
    ("call us", ""),
])
def test_a_text_number_becomes_an_sms_link_with_its_keyword_as_the_message(text_number, href):
    assert sms_href(text_number) == href


@pytest.mark.django_db
def test_healthz_answers_ok_with_the_database_and_a_cache_of_this_process(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "local"}


def test_healthz_and_pages_answer_503_when_the_database_is_unreachable(tmp_path):
    """A real unreachable database: a PostgreSQL port nothing listens on."""
    script = (
        "from django.test import Client; c = Client(raise_request_exception=False);"
        "r = c.get('/healthz'); print(r.status_code, r.content.decode());"
        "r = c.get('/resources/'); print(r.status_code, 'tel:988' in r.content.decode())"
    )
    result = run_manage(
        "shell", "--no-imports", "-c", script,
        # The test settings: the error page's stylesheet link needs no collectstatic there.
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "DEBUG": "0", "SECRET_KEY": "x" * 50, "SECURE_HTTPS": "0",
             "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none", "CONN_MAX_AGE": "0",
             "ALLOWED_HOSTS": "testserver"},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == '503 {"status": "unavailable", "database": "unreachable", "cache": "local"}'
    assert lines[1] == "503 True"


def test_production_settings_pass_the_deployment_checks():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_responses_carry_the_security_and_privacy_headers(client):
    response = client.get("/")
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "'unsafe-inline'" not in csp


@pytest.mark.django_db
def test_search_pages_send_no_referrer_and_form_pages_only_to_this_site(client):
    assert client.get("/match/").headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/admin/login/").headers["Referrer-Policy"] == "same-origin"


def test_request_logs_keep_the_path_but_drop_what_was_searched_for():
    import logging

    from config.logging import StripQueryFilter

    for name in ("django.server", "django.request"):
        assert any(isinstance(f, StripQueryFilter) for f in logging.getLogger(name).filters), name
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s',
        ("GET /match/?concern=suicidal-thoughts&state=TX HTTP/1.1", "200", "5120"), None,
    )
    StripQueryFilter().filter(record)
    assert record.getMessage() == '"GET /match/ HTTP/1.1" 200 5120'
