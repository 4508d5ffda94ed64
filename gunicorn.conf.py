"""gunicorn's settings in production: `gunicorn config.wsgi` reads this file from the project directory.

Change values through the environment variables below, or with gunicorn's own command-line options (which win
over this file). See README, "Running in production".
"""

from __future__ import annotations

import logging
import multiprocessing
import os

# Listen where the TLS-terminating proxy (nginx) connects: this machine only, by default. A Unix socket works
# too: BIND=unix:/run/directory/gunicorn.sock.
bind = [address.strip() for address in os.environ.get("BIND", "127.0.0.1:8000").split(",") if address.strip()]

# Sync workers, one request each: 2 per core plus one, at most 12 (each keeps its own copy of the facet index
# and a database connection). WEB_CONCURRENCY sets the number outright.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 12))

# A request still running after this many seconds is abandoned (its worker is replaced); pages answer in
# well under a second, so this only catches one that hangs.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On a restart or reload (SIGHUP, SIGTERM), requests under way get this long to finish.
graceful_timeout = 30
# nginx keeps connections to gunicorn open between requests; a little longer than nothing.
keepalive = 5

# Workers restart after about this many requests, at staggered times, so slow growth of memory never builds up.
max_requests = 1000
max_requests_jitter = 100

# Load the app once in the master before forking: the workers share its memory (the code and the ZIP table,
# read in when_ready below) and start faster. PRELOAD=0 loads it in each worker instead, as gunicorn --reload
# needs.
preload_app = os.environ.get("PRELOAD", "1").strip().lower() not in {"0", "false", "no", "off"}

# Which addresses may set X-Forwarded-Proto (gunicorn's secure-scheme headers): the proxy's. The default,
# this machine, suits nginx on the same host; for a proxy elsewhere, its address (FORWARDED_ALLOW_IPS=10.0.0.5).
# Never "*" unless nothing but the proxy can reach gunicorn. Django itself trusts X-Forwarded-Proto and
# X-Forwarded-For only with BEHIND_PROXY=1 (config/settings.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn's control socket (for gunicornc) stays off: another way into the master, and a second gunicorn on the
# machine would take over the same default path. CONTROL_SOCKET=/run/directory/gunicorn.ctl turns it on.
if os.environ.get("CONTROL_SOCKET"):
    control_socket = os.environ["CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Logs to standard output and error, for systemd's journal or the container's log.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The path only (%(U)s), never the query string: search and fit-finder addresses carry what a person is
# looking for. (%(r)s, the request line, and %(q)s would write it; so would the referrer, %(f)s.)
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


def on_starting(server) -> None:
    """Query strings stay out of gunicorn's error log too: a request that fails outside Django is logged with
    its address. The workers inherit the filter."""
    from config.logging import StripQueryFilter

    server.log.error_log.addFilter(StripQueryFilter())


def when_ready(server) -> None:
    """In the master, before the workers are forked: read the ZIP table once for all of them, load the published
    copy of the facet index (or build and publish one) so that a new worker starts with it and only catches up
    from the change log, and close any database connection this opened (a connection shared by forked workers
    would mix their queries)."""
    from directory import geo

    geo.warm()
    from django.apps import apps

    if apps.ready:  # the app was preloaded
        from django.db import connections

        from directory.search import facet_index

        try:
            facet_index.current()
        except Exception as error:  # noqa: BLE001  (no database yet, or not migrated: each worker reads it then)
            logging.getLogger("gunicorn.error").warning("The facet index was not read before forking: %s", error)
        connections.close_all()
