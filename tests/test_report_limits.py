"""Reports about a listing are rate-limited per client address and per provider; the limiter fails open."""

from __future__ import annotations

import math
import re

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from pytest_django.asserts import assertContains

from directory.client import client_address
from directory.models import Provider, Report

pytestmark = pytest.mark.django_db

REPORT = {"reason": "unreachable", "details": "The phone number is disconnected."}


def report(client, slug: str = "ana-diaz", address: str = "203.0.113.7", **extra):
    return client.post(f"/providers/{slug}/report/", REPORT, REMOTE_ADDR=address, **extra)


def test_the_sixth_report_from_one_address_within_the_hour_gets_a_429_page_and_is_not_saved(
    client, make_provider, ratelimit_clock
):
    make_provider("Ana Díaz")
    for _ in range(5):
        assert report(client).status_code == 302
    response = report(client)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    page = response.content.decode()
    assert '<h1 id="report-title">Your report was not sent</h1>' in page
    assert "up to 5 reports an hour" in page
    minutes = int(re.search(r"try again in about (\d+) minute", page).group(1))
    assert minutes == math.ceil(int(response["Retry-After"]) / 60)
    assert 'href="/providers/ana-diaz/"' in page
    assert 'href="tel:988"' in page
    assert Report.objects.count() == 5
    assert report(client, address="198.51.100.4").status_code == 302, "another address is not limited"
    ratelimit_clock["time"] += 3600
    assert report(client).status_code == 302, "the hour is over"


def test_reports_refused_as_invalid_do_not_count_against_the_address(client, make_provider, ratelimit_clock):
    make_provider("Ana Díaz")
    for _ in range(5):
        assert client.post("/providers/ana-diaz/report/", {"reason": "rude"}).status_code == 400
    assert report(client, address="127.0.0.1").status_code == 302


def test_one_provider_takes_at_most_20_reports_an_hour_from_all_addresses(client, make_provider, ratelimit_clock):
    make_provider("Ana Díaz")
    make_provider("Ben Roe")
    for n in range(20):
        assert report(client, address=f"198.51.100.{n}").status_code == 302
    response = report(client, address="198.51.100.99")
    assertContains(response, "our staff already know to check it", status_code=429)
    assert Report.objects.filter(provider__slug="ana-diaz").count() == 20
    assert report(client, "ben-roe", address="198.51.100.99").status_code == 302


def test_the_limits_come_from_the_settings(client, make_provider, ratelimit_clock, settings):
    settings.REPORTS_PER_ADDRESS_PER_HOUR = 1
    make_provider("Ana Díaz")
    assert report(client).status_code == 302
    assertContains(report(client), "up to 1 report an hour", status_code=429)


def test_an_htmx_request_gets_the_part_that_replaces_the_form(client, make_provider, ratelimit_clock):
    make_provider("Ana Díaz")
    for _ in range(5):
        report(client)
    response = report(client, headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert response["Retry-After"]
    page = response.content.decode()
    assert page.startswith('<section id="report"') and "<html" not in page
    assert '<h2 id="report-title">Your report was not sent</h2>' in page
    assert "HX-Request" in response["Vary"]


class Unavailable(Exception):
    pass


def unavailable(*args, **kwargs):
    raise Unavailable("cache down")


@pytest.mark.parametrize("failure", [
    {"add": unavailable, "incr": unavailable, "get": unavailable},  # a backend that raises
    {"add": lambda *a, **k: False, "incr": lambda *a, **k: None},  # one that answers nothing
])
def test_reports_are_accepted_when_the_cache_fails(client, make_provider, monkeypatch, ratelimit_clock, failure):
    ana = make_provider("Ana Díaz")
    cache = caches["default"]
    for name, method in failure.items():
        monkeypatch.setattr(cache, name, method)
    for _ in range(6):
        assert report(client).status_code == 302
    assert Report.objects.count() == 6
    assert Provider.objects.get(pk=ana.pk).needs_reverification


def test_a_forwarded_for_header_is_ignored_unless_the_site_is_behind_a_proxy(client, make_provider, ratelimit_clock):
    make_provider("Ana Díaz")
    for n in range(5):
        assert report(client, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code == 302
    assert report(client, HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429


def test_behind_a_proxy_each_client_is_counted_and_a_forged_entry_changes_nothing(
    client, make_provider, ratelimit_clock, settings
):
    settings.BEHIND_PROXY = True
    make_provider("Ana Díaz")
    for n in range(5):
        forged = f"192.0.2.{n}, 203.0.113.7"  # the client's own entries, then what the proxy appended
        assert report(client, address="10.0.0.2", HTTP_X_FORWARDED_FOR=forged).status_code == 302
    assert report(client, address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert report(client, address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302


def test_addresses_in_one_ipv6_64_share_a_limit(client, make_provider, ratelimit_clock):
    make_provider("Ana Díaz")
    for n in range(5):
        assert report(client, address=f"2001:db8:1:2::{n + 1}").status_code == 302
    assert report(client, address="2001:db8:1:2:ffff::1").status_code == 429
    assert report(client, address="2001:db8:1:3::1").status_code == 302


@pytest.mark.parametrize(("behind_proxy", "proxies", "forwarded_for", "expected"), [
    (False, 1, "192.0.2.1", "10.0.0.2"),
    (True, 1, "192.0.2.1", "192.0.2.1"),
    (True, 1, "198.51.100.9, 192.0.2.1", "192.0.2.1"),
    (True, 2, "198.51.100.9, 192.0.2.1, 10.0.0.3", "192.0.2.1"),
    (True, 1, " 2001:db8::1 ", "2001:db8::1"),
    (True, 2, "192.0.2.1", "10.0.0.2"),  # fewer entries than proxies: not through them all
    (True, 1, "", "10.0.0.2"),
    (True, 1, "unknown", "10.0.0.2"),
    (True, 1, "192.0.2.1, not-an-address", "10.0.0.2"),
])
def test_the_client_address_is_the_right_most_entry_the_trusted_proxies_did_not_add(
    settings, behind_proxy, proxies, forwarded_for, expected
):
    settings.BEHIND_PROXY, settings.PROXY_COUNT = behind_proxy, proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_address(request) == expected
