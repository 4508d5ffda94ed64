"""Factory fixtures and the real-browser set-up shared by every test."""

from __future__ import annotations

import datetime
import email
import email.policy
import functools
import json
import os
import re
import shutil
import socket
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone

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
from directory.search import text, text_index

# Sync Playwright runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


# --- Data ------------------------------------------------------------------------------
#
# The test database holds the shipped taxonomy and resources from the start. They are committed
# outside any test and each test's transaction is rolled back, so every test finds them as loaded.
# The demo (300 providers and the guides) is committed the same way, but only while the tests that
# ask for it run: those run first, one after another, so it is loaded once. Before each test the
# committed data is made what that test expects, whatever ran before it: a transactional test (the
# browser ones) ends by emptying every table, and the next test finds the taxonomy loaded again.

BASE_FIXTURES = ("taxonomy", "resources")
DEMO_FIXTURES = ("guides", "demo_providers")


@functools.cache
def _models_in(fixtures: tuple[str, ...]) -> list:
    """The models a fixture file holds rows of, in the order the file first names them."""
    from django.apps import apps
    from django.conf import settings

    labels: dict[str, None] = {}
    for name in fixtures:
        for row in json.loads((Path(settings.FIXTURE_DIRS[0]) / f"{name}.json").read_text(encoding="utf-8")):
            labels.setdefault(row["model"])
    return [apps.get_model(label) for label in labels]


class CommittedData:
    """What the test database holds outside every test's transaction."""

    blocker = None  # pytest-django's django_db_blocker, once the test database exists

    def prepare(self, *, demo: bool) -> None:
        """Commit the base data if a flush removed it; commit or delete the demo as the next test wants."""
        base_models, demo_models = _models_in(BASE_FIXTURES), _models_in(DEMO_FIXTURES)
        with self.blocker.unblock():
            if not demo and any(model.objects.exists() for model in demo_models):
                for model in demo_models:
                    model.objects.all().delete()
            if not all(model.objects.exists() for model in base_models):
                call_command("loaddata", *BASE_FIXTURES, verbosity=0)
            if demo and not all(model.objects.exists() for model in demo_models):
                call_command("loaddata", *DEMO_FIXTURES, verbosity=0)
            # The free-text index as a deployment has it: built from what is committed, and kept in step
            # with each test's edits (which it reads from their rows until the next build).
            if text.uses_postgres() and text_index.built_over() != set(Provider.objects.values_list("pk", flat=True)):
                text_index.rebuild()


committed = CommittedData()


def _uses_db(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    )


def _reads_demo(item: pytest.Item) -> bool:
    return "demo" in getattr(item, "fixturenames", ())


def run_order(item: pytest.Item) -> tuple[int, bool]:
    """pytest-django's order (database tests, then transactional ones, then the rest), demo readers first.

    The tests that read the demo then run one after another, and it is loaded once.
    """
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    transactional = bool(marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)))
    if transactional or {"transactional_db", "live_server"} & fixtures:
        return (1, True)
    if marker or "db" in fixtures:
        return (0, not _reads_demo(item))
    return (2, True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, created with the taxonomy and resources committed in it."""
    committed.blocker = django_db_blocker
    committed.prepare(demo=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    # Before any fixture, so before the test's own transaction begins: what is committed now stays.
    if committed.blocker is not None and _uses_db(item):
        committed.prepare(demo=_reads_demo(item))
    return (yield)


@pytest.fixture(scope="session")
def _demo_committed(django_db_setup) -> None:
    """For the first test only, when the database was created after pytest_runtest_setup had run."""
    committed.prepare(demo=True)


@pytest.fixture
def demo(_demo_committed, db) -> None:
    """The 300 demo providers and the guides, read-only: each test's changes are rolled back."""


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache and no copy of the facet index: cached taxonomy and providers must not
    outlive a rolled-back test."""
    from django.core.cache import cache

    from directory.search import facet_index

    cache.clear()
    facet_index.live.reset()
    yield
    cache.clear()
    facet_index.live.reset()


@pytest.fixture
def ratelimit_clock(monkeypatch) -> dict:
    """django-ratelimit's clock, held still so that no test straddles the end of its hour; moved on by hand."""
    import django_ratelimit.core

    now = {"time": 1_800_000_000.0}
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now["time"]))
    return now


@pytest.fixture
def taxonomy(db) -> None:
    """The shipped taxonomy, every slug and code of the public contract: always in the test database."""


@pytest.fixture
def resources(db) -> None:
    """The shipped resources (988 first): always in the test database."""


@pytest.fixture
def empty_taxonomy(db) -> None:
    """No taxonomy at all: the shipped one is deleted inside the test's transaction, which is rolled back."""
    for model in reversed(_models_in(("taxonomy",))):
        model.objects.all().delete()


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
        if fields["accepting_new_clients"]:
            # Confirmed today unless a test says otherwise: an accepting status never confirmed counts as unknown.
            fields.setdefault("accepting_confirmed", timezone.localdate())
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
def make_account(db):
    """make_account(provider, "ana@example.org"): the provider has claimed their listing with that email."""
    from django.contrib.auth.models import User

    from listings.models import ProviderAccount

    def make(provider: Provider, email: str = "ana@example.org") -> ProviderAccount:
        user = User.objects.create_user(f"provider-{provider.pk}", email=email)
        return ProviderAccount.objects.create(user=user, provider=provider)

    return make


@pytest.fixture
def make_claimed_provider(make_provider, make_account, today):
    """make_claimed_provider("Ana Díaz", "ana@example.org", confirmed_days_ago=31): a listing its provider claimed."""

    def make(name: str, email: str, *, confirmed_days_ago: int | None = 31, **fields) -> Provider:
        confirmed = None if confirmed_days_ago is None else today - datetime.timedelta(days=confirmed_days_ago)
        provider = make_provider(name, accepting_confirmed=confirmed, **fields)
        make_account(provider, email)
        return provider

    return make


@pytest.fixture
def mailbox(smtp_server) -> Inbox:
    """The SMTP server on localhost (smtp_server), by the name the provider sign-in tests read it."""
    return smtp_server


@pytest.fixture
def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


# --- Real browser ----------------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Put the tests in run order (see run_order); browser tests are skipped, with the reason, without Chromium.

    Last, after pytest's own reordering by fixture. Browser tests run in CI always.
    """
    items.sort(key=run_order)
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


@pytest.fixture(scope="session")
def browser(browser):
    """Playwright's browser; when it stops, the database connections opened while it ran are closed.

    While sync Playwright runs, its event loop counts as running in this thread, and Django keeps the
    connections of that time apart (asgiref's Local): the test database's own teardown would not see,
    nor close, them, and PostgreSQL refuses to drop a database that is still in use.
    """
    yield browser
    from django.db import connections

    connections.close_all()


class Site:
    """A page on the live server that records every request it makes, for the same-origin check."""

    def __init__(self, url: str, page):
        self.url = url
        self.page = page
        self.requests: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.set_default_timeout(10_000)

    def open(self, path: str):
        response = self.page.goto(self.url + path)
        assert response is not None
        return response

    def foreign_requests(self) -> list[str]:
        origin = urlparse(self.url)
        foreign = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "about", "blob"):
                continue
            if (parsed.scheme, parsed.netloc) != (origin.scheme, origin.netloc):
                foreign.append(url)
        return foreign


@pytest.fixture
def site(live_server, page) -> Site:
    """The live server for a test that makes its own data: a transactional test, as for every live_server."""
    return Site(live_server.url, page)


@pytest.fixture
def demo_site(request, demo, page) -> Site:
    """The live server on the demo data, for read-only tests: the demo stays committed between them.

    The live server is asked for here, by name, rather than as an argument: pytest-django makes every
    test that names live_server transactional, and the flush after such a test would delete the demo.
    """
    return Site(request.getfixturevalue("live_server").url, page)


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


# --- A real mail server ----------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler: keeps each message it accepts, and refuses the recipients in `refused`."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        return sorted(message["To"] for message in self.messages)

    def body(self, index: int = -1) -> str:
        return self.messages[index].get_body(("plain",)).get_content()

    def links(self, index: int = -1) -> list[str]:
        return re.findall(r"https?://\S+", self.body(index))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """An SMTP server on localhost, in this process, that Django's SMTP backend sends to (no TLS, no login)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()
