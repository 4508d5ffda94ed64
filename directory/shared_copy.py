"""SharedCopy: a value read from the database, kept in Django's cache and in each process; PublishedCopy: a
large one that one process builds and the others load (the facet index).

A request asks the cache for a short version string only: while it is unchanged, the process's own
copy serves (no unpickling); else the pickled copy in the cache; else a fresh read, stored under a new
version. forget() drops both, so every process reads again on its next request. Without a shared
cache (REDIS_URL) each process has its own versions, so `seconds` bounds how long an edit made in
another process goes unseen.
"""

from __future__ import annotations

import os
import pickle
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.db import connection

T = TypeVar("T")

# A build that holds the cache's lock (where there is no PostgreSQL lock) longer than this is taken for dead.
BUILD_LOCK_SECONDS = 30 * 60


class SharedCopy(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], seconds: int, on_new_copy: Callable[[], None] | None = None):
        self.key = f"directory:{name}:v1"
        self.version_key = f"directory:{name}-version:v1"
        self.load = load
        self.seconds = seconds
        self.on_new_copy = on_new_copy  # told whenever this process takes a copy of another version
        self._local: tuple[str, T] | None = None  # this process's copy and the version it was read under

    def get(self) -> T:
        version = cache.get(self.version_key)
        if version is not None and self._local is not None and self._local[0] == version:
            return self._local[1]
        found = cache.get(self.key) if version is not None else None
        if found is None:
            found = self.load()
            version = uuid.uuid4().hex
            cache.set_many({self.key: found, self.version_key: version}, self.seconds)
        if self.on_new_copy is not None:
            self.on_new_copy()
        self._local = (version, found)
        return found

    def forget(self) -> None:
        cache.delete_many([self.version_key, self.key])


class PublishedCopy(Generic[T]):
    """A large value that one process reads from the database and publishes, and the others load.

    Kept without expiry in Django's cache (Redis) and, when a path is given, in a file written whole and renamed
    into place, so it outlives a Redis restart and serves processes that share no cache. Each copy carries a
    stamp (small: what the copy is up to), which the cache answers without the copy itself.
    """

    def __init__(self, name: str, path: str | os.PathLike | None = None):
        self.key = f"directory:{name}:published:v1"
        self.stamp_key = f"directory:{name}:published-stamp:v1"
        self.path = Path(path) if path else None
        self.lock_name = f"directory:{name}:building:v1"

    def publish(self, stamp: Any, value: T) -> None:
        cache.set(self.key, (stamp, value), None)
        cache.set(self.stamp_key, stamp, None)  # after the copy: a stamp never names a copy not yet there
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            written = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            with written.open("wb") as file:
                pickle.dump(stamp, file, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(written, self.path)

    def stamp(self) -> Any | None:
        """The stamp of the newest copy published, or None."""
        stamp = cache.get(self.stamp_key)
        if stamp is None and self.path is not None and self.path.exists():
            with self.path.open("rb") as file:
                stamp = pickle.load(file)
        return stamp

    def load(self) -> tuple[Any, T] | None:
        """(stamp, value) of the newest copy published, or None."""
        found = cache.get(self.key)
        if found is None and self.path is not None and self.path.exists():
            with self.path.open("rb") as file:
                found = (pickle.load(file), pickle.load(file))
            cache.set(self.key, found, None)  # the cache was emptied (Redis restarted): fill it again
            cache.set(self.stamp_key, found[0], None)
        return found

    @contextmanager
    def building(self, wait: bool) -> Iterator[bool]:
        """Whether this process may build the copy now: no other one is building it. With wait, until it may.

        A PostgreSQL advisory lock where there is one (released if the process dies), else a key in the cache.
        """
        if connection.vendor == "postgresql":
            key = zlib.crc32(self.lock_name.encode())
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {'pg_advisory_lock' if wait else 'pg_try_advisory_lock'}(%s)", [key])
                mine = wait or cursor.fetchone()[0]
            try:
                yield mine
            finally:
                if mine:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            return
        mine = cache.add(self.lock_name, os.getpid(), BUILD_LOCK_SECONDS)
        while wait and not mine:
            time.sleep(0.5)
            mine = cache.add(self.lock_name, os.getpid(), BUILD_LOCK_SECONDS)
        try:
            yield mine
        finally:
            if mine:
                cache.delete(self.lock_name)
