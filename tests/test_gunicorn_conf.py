"""gunicorn.conf.py: it loads as gunicorn loads it, logs paths without query strings, and reads the ZIP table in
the master; a real gunicorn started with it serves."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gunicorn.app.base import Application
from gunicorn.glogging import Logger, SafeAtoms

from directory import geo
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "gunicorn.conf.py"
SEARCH = "/match/?concern=suicidal-thoughts&state=TX&budget=40"


class Configured(Application):
    """gunicorn's own reading of the file: unknown names ignored, every value checked by its setting."""

    def load_config(self) -> None:
        self.load_config_from_file(str(CONF))

    def load(self):
        raise AssertionError("not served")


def config(monkeypatch, **env: str):
    for name in ("WEB_CONCURRENCY", "BIND", "PRELOAD", "CONTROL_SOCKET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Configured().cfg


class Response:
    status = "200 OK"
    sent = 5120
    headers = [("Content-Type", "text/html")]


def access_line(cfg, environ: dict) -> str:
    """The access log line gunicorn writes for a request, as Logger.access formats it."""
    atoms = Logger(cfg).atoms(Response(), [("HOST", "directory.example.org")], environ, datetime.timedelta(0, 0, 4200))
    return cfg.access_log_format % SafeAtoms(atoms)


def test_the_access_log_records_the_path_and_never_the_query_string(monkeypatch):
    cfg = config(monkeypatch)
    path, query = SEARCH.split("?")
    line = access_line(cfg, {
        "REQUEST_METHOD": "GET", "RAW_URI": SEARCH, "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "https://directory.example.org/providers/?q=panic+attacks",
    })
    assert '"GET /match/ HTTP/1.1" 200 5120 4ms' in line
    for secret in ("?", "suicidal", "concern", "budget", "panic"):
        assert secret not in line


def test_settings_come_from_the_environment_with_production_defaults(monkeypatch):
    cfg = config(monkeypatch)
    assert cfg.bind == ["127.0.0.1:8000"]
    assert 3 <= cfg.workers <= 12
    assert cfg.preload_app and cfg.max_requests > 0 and cfg.max_requests_jitter > 0
    assert cfg.timeout == 30 and cfg.graceful_timeout == 30
    assert cfg.control_socket_disable

    cfg = config(monkeypatch, WEB_CONCURRENCY="3", BIND="unix:/run/directory/gunicorn.sock", PRELOAD="0")
    assert (cfg.workers, cfg.bind, cfg.preload_app) == (3, ["unix:/run/directory/gunicorn.sock"], False)


def test_the_master_reads_the_zip_table_before_forking_the_workers(monkeypatch):
    cfg = config(monkeypatch)
    geo.table.cache_clear()
    cfg.when_ready(None)
    assert geo.table.cache_info().currsize == 1
    assert geo.zip_state("78701") == "TX"


def test_gunicorn_serves_with_this_configuration_and_logs_no_query_string(tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}},
        "DEBUG": "0", "SECURE_HTTPS": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "tests.gunicorn_app"], cwd=ROOT, env=env,
                                  stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?q=panic", timeout=5) as response:
                    assert response.status == 200
                    assert b'"database": "ok"' in response.read()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not answer:\n" + log.read_text())
                time.sleep(0.1)
        # A request that fails outside Django's own error handling is logged by gunicorn itself.
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/crash/?q=panic+attacks", timeout=10)
    finally:
        server.terminate()
        server.wait(30)
    written = log.read_text()
    assert '"GET /healthz HTTP/1.1" 200' in written
    assert "Error handling request GET /crash/" in written
    assert "panic" not in written
