"""Redis is an optimization: with it stopped or hung, every page, API and admin save still answers, /healthz
says "degraded", and when it is back the site uses it again without a restart.

A real redis-server, started by these tests on a free port of their own and stopped mid-test; a hung one is
a socket that never answers.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import User
from django.core.cache import cache
from django.forms.models import model_to_dict
from django.test import override_settings

from config.cache import FallbackRedisCache
from directory.models import Modality
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

REDIS_SERVER = shutil.which("redis-server")
AUSTIN = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}
PASSWORD = "right-password-123"


class RedisServer:
    """A throwaway redis-server on its own port: no file written, nothing shared with other tests."""

    def __init__(self, binary: str, directory: Path):
        self.binary = binary
        self.directory = directory  # where an explicit SAVE writes, and a restart reads
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if self.process is not None:
            return
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client().ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.process.wait(10)
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def stored_keys(self) -> list[str]:
        return [key.decode() for key in self.client().scan_iter()]


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    if REDIS_SERVER is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is required for the cache outage tests: make test installs it.")
        pytest.skip("redis-server is not installed (make test installs Debian's package)")
    server = RedisServer(REDIS_SERVER, tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def redis_caches(url: str) -> dict:
    return {"default": {"BACKEND": "config.cache.FallbackRedisCache", "LOCATION": url}}


@pytest.fixture
def redis_cache(redis_server):
    """The site's cache is the test's redis-server, empty, and answering."""
    redis_server.start()
    with override_settings(CACHES=redis_caches(redis_server.url)):  # a new cache connection, to this server
        cache.clear()  # Redis, and this process's stand-in for it, of what earlier tests left
        yield redis_server
    redis_server.start()
    redis_server.client().flushall()
    (redis_server.directory / "dump.rdb").unlink(missing_ok=True)


@pytest.fixture
def ana(make_provider):
    return make_provider(
        "Ana Díaz", licenses=[("LCSW", "TX")], offices=[AUSTIN], modalities=["cbt"], conditions=["depression"],
        standard_fee=140, telehealth=True,
    )


@pytest.fixture
def staff(db):
    return User.objects.create_superuser("staff", password=PASSWORD)


def names(response) -> list[str]:
    return [result["name"] for result in response.json()["results"]]


def rename_in_the_admin(client, modality: Modality, name: str):
    data = {field: value for field, value in model_to_dict(modality).items() if value is not None}
    return client.post(f"/admin/directory/modality/{modality.pk}/change/", {**data, "name": name})


def test_pages_apis_sign_in_and_an_admin_save_answer_while_redis_is_stopped(client, redis_cache, ana, staff):
    assert client.get("/providers/").status_code == 200
    assert any("taxonomy-snapshot" in key for key in redis_cache.stored_keys()), "the shared copies are in Redis"

    redis_cache.stop()

    page = client.get("/providers/", {"q": "Díaz"})
    assert page.status_code == 200 and "Ana Díaz" in page.content.decode()
    page = client.get("/providers/", {"zip": "78701", "modality": "cbt"})
    assert page.status_code == 200 and "Ana Díaz" in page.content.decode()
    profile = client.get(ana.get_absolute_url())
    assert profile.status_code == 200 and "Ana Díaz" in profile.content.decode()
    finder = client.get("/match/", {"concern": "depression", "state": "TX"})
    assert finder.status_code == 200 and "Ana Díaz" in finder.content.decode()
    assert names(client.get("/api/providers/", {"modality": "cbt", "state": "TX"})) == ["Ana Díaz"]
    assert names(client.get("/api/match/", {"concern": "depression", "state": "TX"})) == ["Ana Díaz"]
    assert client.get("/api/guides/").status_code == 200

    signed_in = client.post("/admin/login/?next=/admin/", {"username": "staff", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.url == "/admin/"
    cbt = Modality.objects.get(slug="cbt")
    assert rename_in_the_admin(client, cbt, "Talking therapy (CBT)").status_code == 302
    assert Modality.objects.get(slug="cbt").name == "Talking therapy (CBT)"
    assert "Talking therapy (CBT)" in client.get("/providers/").content.decode()

    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "database": "ok", "cache": "unreachable"}


def test_after_redis_restarts_requests_use_it_again_without_a_restart(client, redis_cache, ana, monkeypatch):
    redis_cache.stop()
    assert client.get("/providers/").status_code == 200
    assert client.get("/healthz").json()["cache"] == "unreachable"

    redis_cache.start()  # empty, as a restarted Redis without persistence is
    monkeypatch.setattr(FallbackRedisCache, "retry_seconds", 0)  # rather than wait the few seconds

    assert client.get("/providers/", {"modality": "cbt"}).status_code == 200
    assert any("taxonomy-snapshot" in key for key in redis_cache.stored_keys())
    assert any("facet-index" in key for key in redis_cache.stored_keys())
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_an_edit_made_while_redis_was_down_is_shown_when_it_is_back_with_older_copies(
    client, redis_cache, ana, staff, monkeypatch
):
    """Redis comes back with the copies it saved before the edit: the edit's deletes reach it before any read."""
    client.force_login(staff)
    assert "Cognitive Behavioral Therapy (CBT)" in client.get("/providers/").content.decode()
    redis_cache.client().save()  # as a Redis that persists its data does

    redis_cache.stop()
    cbt = Modality.objects.get(slug="cbt")
    assert rename_in_the_admin(client, cbt, "Talking therapy (CBT)").status_code == 302
    assert "Talking therapy (CBT)" in client.get("/providers/").content.decode()

    redis_cache.start()
    assert any("taxonomy-snapshot" in key for key in redis_cache.stored_keys()), "the copy from before the edit"
    monkeypatch.setattr(FallbackRedisCache, "retry_seconds", 0)
    page = client.get("/providers/").content.decode()
    assert "Talking therapy (CBT)" in page and "Cognitive Behavioral Therapy (CBT)" not in page
    assert client.get("/healthz").json()["cache"] == "ok"


class SilentServer:
    """Accepts connections and never answers: a Redis that hangs. Counts the connections made to it."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                self.connections.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()


def test_a_hung_redis_costs_one_request_one_timeout_not_every_request(client, ana):
    server = SilentServer()
    try:
        with override_settings(CACHES=redis_caches(server.url)):
            page = client.get("/providers/", {"modality": "cbt"})
            assert page.status_code == 200 and "Ana Díaz" in page.content.decode()
            assert len(server.connections) == 1
            for _ in range(3):
                assert client.get("/providers/", {"modality": "cbt"}).status_code == 200
                assert client.get(ana.get_absolute_url()).status_code == 200
            assert client.get("/healthz").json()["status"] == "degraded"
            assert len(server.connections) == 1, "Redis is left alone for a while after it failed to answer"
    finally:
        server.close()
