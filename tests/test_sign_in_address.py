"""Staff sign-in throttling counts failures by the client's address: behind a proxy, the one the proxy reports;
without one, the connection's own, whatever X-Forwarded-For says."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import override_settings

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-123"
PROXY = "127.0.0.1"  # nginx on the same machine: every request's REMOTE_ADDR
ATTACKER, STAFF = "203.0.113.66", "198.51.100.20"


def client_address_settings(monkeypatch, behind_proxy: bool) -> dict:
    """The client-address settings config/settings.py makes with or without BEHIND_PROXY (django-axes reads the
    address through directory.client, as the report limits do)."""
    monkeypatch.setenv("BEHIND_PROXY", "1" if behind_proxy else "0")
    made = runpy.run_path(str(Path(settings.BASE_DIR) / "config" / "settings.py"))
    return {name: value for name, value in made.items()
            if name in ("AXES_CLIENT_IP_CALLABLE", "BEHIND_PROXY", "PROXY_COUNT")}


def sign_in(client, password: str, forwarded_for: str | None):
    headers = {"REMOTE_ADDR": PROXY}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post("/admin/login/?next=/admin/", {"username": "staff", "password": password}, **headers)


@pytest.fixture
def staff(db):
    return User.objects.create_user("staff", password=PASSWORD, is_staff=True)


def test_behind_a_proxy_an_attacker_locks_out_only_their_own_address(client, staff, monkeypatch):
    with override_settings(**client_address_settings(monkeypatch, behind_proxy=True)):
        statuses = [sign_in(client, "wrong", ATTACKER).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]
        # A forged entry in front of the one the proxy appended changes nothing.
        assert sign_in(client, PASSWORD, f"10.9.8.7, {ATTACKER}").status_code == 429

        response = sign_in(client, PASSWORD, STAFF)  # the staff member, through the same proxy
        assert response.status_code == 302 and response.url == "/admin/"


def test_without_a_proxy_a_forged_x_forwarded_for_does_not_dodge_the_lockout(client, staff, monkeypatch):
    with override_settings(**client_address_settings(monkeypatch, behind_proxy=False)):
        statuses = [sign_in(client, "wrong", f"198.51.100.{n}").status_code for n in range(5)]
        assert statuses == [200, 200, 200, 200, 429]
        assert sign_in(client, PASSWORD, STAFF).status_code == 429
        assert sign_in(client, PASSWORD, None).status_code == 429
