"""The shared cache (Redis) as an optimization only: while Redis does not answer, this process's memory serves.

Everything the site keeps in the cache is a copy of the database (directory.shared_copy), so losing Redis
costs speed, never correctness. While it is unreachable, each operation goes to a local-memory cache of
this process instead, which is exactly how a deployment without REDIS_URL runs: each process reads the
database once and keeps its copy for at most the copy's timeout. The first failure is logged, once per
outage; after that Redis is left alone for RETRY_SECONDS (no request waits for a dead server more than
once in that time), then tried again. Keys deleted during the outage (an edit in the admin drops the
copies it changed) are deleted in Redis first when it answers again, so no process reads a copy older
than the edit from it; the local copies are dropped too. No restart is needed either way.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# How long Redis is left alone after it failed to answer, before the next request tries it again.
RETRY_SECONDS = 5.0
# Socket timeouts: a request waits at most this long for a Redis that has stopped answering (without
# them, a server that vanished from the network would hold each request for minutes).
CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0
# Entries the local stand-in keeps: the shared copies are a handful of keys.
LOCAL_ENTRIES = 1000


class FallbackRedisCache(RedisCache):
    """Django's Redis cache; while Redis does not answer, this process's memory instead (see the module)."""

    retry_seconds = RETRY_SECONDS

    def __init__(self, server: str, params: dict[str, Any]):
        params = {**params, "OPTIONS": {"socket_connect_timeout": CONNECT_TIMEOUT,
                                        "socket_timeout": READ_TIMEOUT, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        # Named, so every thread's instance for this server shares one store in this process.
        self._local = LocMemCache(f"unreachable-redis:{server}", {
            "TIMEOUT": params.get("TIMEOUT", 300), "KEY_PREFIX": self.key_prefix, "VERSION": self.version,
            "KEY_FUNCTION": self.key_func, "OPTIONS": {"MAX_ENTRIES": LOCAL_ENTRIES},
        })
        self._lock = threading.Lock()
        self._failed_at: float | None = None  # when Redis last failed to answer; None while it answers
        self._unsent_deletes: set[str] = set()  # full keys deleted while Redis did not answer

    # --- State ------------------------------------------------------------------------------

    def status(self) -> str:
        """"ok" when Redis answers now, else "unreachable" (asks Redis unless it failed just now)."""
        if not self._usable():
            return "unreachable"
        try:
            self._cache.get_client(write=True).ping()
        except RedisError as error:
            self._failed(error)
            return "unreachable"
        return "ok"

    def _usable(self) -> bool:
        """Whether to ask Redis: it answered last time, or it is time to try again (and it answers)."""
        failed_at = self._failed_at
        if failed_at is None:
            return True
        if time.monotonic() - failed_at < self.retry_seconds:
            return False
        try:
            with self._lock:
                unsent = list(self._unsent_deletes)
            if unsent:
                self._cache.delete_many(unsent)
            else:
                self._cache.get_client(write=True).ping()
        except RedisError as error:
            self._failed(error)
            return False
        with self._lock:
            self._unsent_deletes.difference_update(unsent)
            self._failed_at = None
        # Copies kept here during the outage may predate edits made since in other processes.
        self._local.clear()
        logger.warning("The cache answers again: the shared copies are read from Redis.")
        return True

    def _failed(self, error: RedisError) -> None:
        with self._lock:
            first = self._failed_at is None
            self._failed_at = time.monotonic()
        if first:
            # The error's class and text name the host and port at most, never a password.
            logger.warning(
                "The cache (Redis) does not answer (%s: %s): pages are served from the database and this "
                "process's memory until it does.", type(error).__name__, error,
            )

    def _either(self, name: str, *args, **kwargs):
        """The operation on Redis while it answers, else on this process's stand-in."""
        if self._usable():
            try:
                return getattr(super(), name)(*args, **kwargs)
            except RedisError as error:
                self._failed(error)
        return getattr(self._local, name)(*args, **kwargs)

    def _remember_deletes(self, keys, version: int | None) -> None:
        made = [self.make_and_validate_key(key, version=version) for key in keys]
        with self._lock:
            self._unsent_deletes.update(made)

    # --- Django's cache API ------------------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._either("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("touch", key, timeout, version)

    def get_many(self, keys, version=None):
        return self._either("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._either("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._either("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set_many", data, timeout, version)

    def delete(self, key, version=None):
        if self._usable():
            try:
                return super().delete(key, version)
            except RedisError as error:
                self._failed(error)
        self._remember_deletes([key], version)
        return self._local.delete(key, version)

    def delete_many(self, keys, version=None):
        keys = list(keys)
        if self._usable():
            try:
                return super().delete_many(keys, version)
            except RedisError as error:
                self._failed(error)
        self._remember_deletes(keys, version)
        return self._local.delete_many(keys, version)

    def clear(self):
        self._local.clear()
        return self._either("clear")


def cache_status(cache) -> str:
    """The cache as /healthz reports it: "ok", "unreachable", or "local" (this process's memory only)."""
    status = getattr(cache, "status", None)
    return status() if callable(status) else "local"
