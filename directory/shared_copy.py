"""SharedCopy: a value read from the database, kept in Django's cache and in each process.

A request asks the cache for a short version string only: while it is unchanged, the process's own
copy serves (no unpickling); else the pickled copy in the cache; else a fresh read, stored under a new
version. forget() drops both, so every process reads again on its next request. Without a shared
cache (REDIS_URL) each process has its own versions, so `seconds` bounds how long an edit made in
another process goes unseen.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache

T = TypeVar("T")


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
