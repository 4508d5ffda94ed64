"""The site's WSGI application, and one address that fails outside Django's own error handling, as a crash in
the error page itself would: what gunicorn then logs is checked by test_gunicorn_conf."""

from __future__ import annotations

from config.wsgi import application as site


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/crash/":
        raise RuntimeError("a failure Django did not handle")
    return site(environ, start_response)
