"""Factory fixtures and the real-browser set-up shared by every test."""

from __future__ import annotations

import datetime
import os
import shutil
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from directory.models import (
    AgeGroup,
    Condition,
    CredentialType,
    InsurancePlan,
    Language,
    License,
    Modality,
    Office,
    Provider,
    SessionFormat,
)

# Sync Playwright runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


# --- Data ------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def demo_once(django_db_setup, django_db_blocker):
    """The 300 demo providers, loaded once per test class for read-only checks (loading takes seconds)."""
    with django_db_blocker.unblock():
        call_command("loaddata", "taxonomy", "demo_providers", verbosity=0)
    yield
    with django_db_blocker.unblock():
        Provider.objects.all().delete()
        for model in (Modality, Condition, SessionFormat, AgeGroup, Language, InsurancePlan, CredentialType):
            model.objects.all().delete()


@pytest.fixture
def demo(demo_once, db) -> None:
    """Read-only: each test runs in a transaction that is rolled back, so the shared data stays as loaded."""


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: cached taxonomy must not outlive a rolled-back test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def taxonomy(db) -> None:
    """The shipped taxonomy fixture: every slug and code of the public contract."""
    call_command("loaddata", "taxonomy", verbosity=0)


@pytest.fixture
def resources(db) -> None:
    call_command("loaddata", "resources", verbosity=0)


def _terms(model, keys) -> list:
    keys = list(keys or [])
    if not keys:
        return []
    found = list(model.objects.with_keys(keys))
    missing = set(keys) - {t.key for t in found}
    if missing:
        raise AssertionError(f"unknown {model.__name__} keys in test data: {sorted(missing)}")
    return found


@pytest.fixture
def make_provider(taxonomy):
    """make_provider("Ana Díaz", licenses=[("LCSW", "TX")], modalities=["cbt"], offices=[{...}], ...)."""
    counter = {"n": 0}

    def make(
        name: str,
        *,
        licenses: list[tuple] | None = None,
        offices: list[dict] | None = None,
        modalities=(),
        conditions=(),
        formats=(),
        age_groups=(),
        languages=(),
        insurance=(),
        **fields,
    ) -> Provider:
        counter["n"] += 1
        for fee in ("standard_fee", "sliding_scale_min", "sliding_scale_max"):
            if fields.get(fee) is not None:
                fields[fee] = Decimal(str(fields[fee]))
        fields.setdefault("external_id", f"test-{counter['n']:04d}")
        fields.setdefault("accepting_new_clients", True)
        provider = Provider.objects.create(name=name, **fields)
        for i, spec in enumerate(licenses if licenses is not None else [("LCSW", "TX")]):
            code, jurisdiction, *rest = spec
            License.objects.create(
                provider=provider,
                credential_type=CredentialType.objects.get_by_natural_key(code),
                jurisdiction=jurisdiction,
                number=rest[0] if rest else f"{provider.external_id}-{i}",
                verified_on=rest[1] if len(rest) > 1 else None,
            )
        for office in offices or []:
            Office.objects.create(provider=provider, **office)
        provider.modalities.set(_terms(Modality, modalities))
        provider.conditions.set(_terms(Condition, conditions))
        provider.formats.set(_terms(SessionFormat, formats))
        provider.age_groups.set(_terms(AgeGroup, age_groups))
        provider.languages.set(_terms(Language, languages))
        provider.insurance.set(_terms(InsurancePlan, insurance))
        return provider

    return make


@pytest.fixture
def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


# --- Real browser ----------------------------------------------------------------------


def _serve_static_files_through_whitenoise() -> None:
    """Let the live server serve static files as production does: through WhiteNoise and the middleware.

    pytest-django's live server wraps the app in staticfiles' handler, which would answer for /static/
    itself, without the middleware's headers. The test settings let WhiteNoise find the source files.
    """
    from django.contrib.staticfiles import handlers

    class ServeNothing(handlers.StaticFilesHandler):
        def _should_handle(self, path: str) -> bool:
            return False

    handlers.StaticFilesHandler = ServeNothing


_serve_static_files_through_whitenoise()


def pytest_collection_modifyitems(config, items):
    """Browser tests run in CI always; elsewhere they are skipped, with the reason, only without Chromium."""
    if CHROMIUM or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="Chromium is not installed (make browser installs Debian's package)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM:
        pytest.fail("Chromium is required for the browser tests: run `make browser` (apt-get install chromium).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def site(live_server, page):
    """A page on the live server that records every request it makes, for the same-origin check."""
    origin = urlparse(live_server.url)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_default_timeout(10_000)

    class Site:
        url = live_server.url

        def __init__(self):
            self.page = page
            self.requests = requests

        def open(self, path: str):
            response = page.goto(live_server.url + path)
            assert response is not None
            return response

        def foreign_requests(self) -> list[str]:
            foreign = []
            for url in requests:
                parsed = urlparse(url)
                if parsed.scheme in ("data", "about", "blob"):
                    continue
                if (parsed.scheme, parsed.netloc) != (origin.scheme, origin.netloc):
                    foreign.append(url)
            return foreign

    return Site()


def assert_accessible(page) -> None:
    """No axe-core violations of WCAG 2.2 A/AA rules on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    )
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture
def accessible():
    return assert_accessible
