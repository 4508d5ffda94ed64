"""What browsers, search engines and the person running the demo ask of any site: an icon, robots.txt, a sitemap
of the public pages, the site's own 404 page with the crisis line, and a readable development server log."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders

from guides.models import Guide
from tests.conftest import free_port

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def locations(content: bytes) -> list[str]:
    return [element.text for element in ET.fromstring(content).iter(f"{SITEMAP}loc")]


def test_robots_txt_lets_engines_read_the_public_pages_but_never_a_search_or_fit_finder_address(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    rules = response.content.decode().splitlines()
    assert rules[0] == "User-agent: *"
    for private in ("/match/?", "/providers/?", "/shortlist/", "/api/", "/admin/", "/provider/"):
        assert f"Disallow: {private}" in rules
    assert "Disallow: /" not in rules
    assert "Sitemap: http://testserver/sitemap.xml" in rules


@pytest.mark.django_db
def test_the_sitemap_lists_every_published_profile_and_guide_and_no_unpublished_one(client, make_provider):
    shown = make_provider("Shown Provider", licenses=[("LCSW", "TX")])
    hidden = make_provider("Hidden Provider", licenses=[("LCSW", "TX")], published=False)
    guide = {"summary": "S.", "body": "Text.", "topic": "therapy-approaches"}
    Guide.objects.create(title="A published guide", slug="a-published-guide", **guide)
    Guide.objects.create(title="A draft", slug="a-draft", published=False, **guide)
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    sections = locations(index.content)
    assert "http://testserver/sitemap-providers.xml" in sections
    listed = [url for section in sections for url in locations(client.get(section.removeprefix("http://testserver"))
                                                                .content)]
    assert f"http://testserver{shown.get_absolute_url()}" in listed
    assert f"http://testserver{hidden.get_absolute_url()}" not in listed
    assert "http://testserver/guides/a-published-guide/" in listed
    assert "http://testserver/guides/a-draft/" not in listed
    for page in ("/", "/providers/", "/match/", "/resources/", "/guides/"):
        assert f"http://testserver{page}" in listed


def test_favicon_ico_leads_to_the_sites_own_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.ico")
    assert finders.find("favicon.ico") and finders.find("favicon.svg") and finders.find("apple-touch-icon.png")


@pytest.mark.django_db
def test_every_page_names_its_icons(client):
    page = client.get("/resources/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert 'rel="apple-touch-icon"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_a_missing_page_shows_the_sites_404_with_988_whether_or_not_debug_is_on(client, settings, debug):
    settings.DEBUG = debug
    for path in ("/no-such-page/", "/providers/no-such-provider/"):
        response = client.get(path)
        assert response.status_code == 404
        page = response.content.decode()
        assert "Page not found" in page
        assert 'href="tel:988"' in page
        assert "DEBUG = True" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_a_missing_api_address_answers_json_whether_or_not_debug_is_on(client, settings, debug):
    settings.DEBUG = debug
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"errors": {"path": ["No API endpoint here."]}}


def test_the_development_server_says_once_that_it_watches_for_changes(tmp_path):
    """`make run` shows the server's start-up once, not each line twice."""
    port = free_port()
    log = tmp_path / "runserver.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--skip-checks"],
            cwd=django_settings.BASE_DIR, stdout=out, stderr=subprocess.STDOUT,
            # A database of its own: the server only starts, and needs none of the test run's.
            env={**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings",
                 "DATABASE_URL": f"sqlite:///{tmp_path / 'server.sqlite3'}"},
        )
        try:
            deadline = time.monotonic() + 30
            while "Quit the server" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=10)
    output = log.read_text()
    assert "Quit the server" in output
    assert output.count("Watching for file changes") == 1
