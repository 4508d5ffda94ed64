"""Settings for the test run: config/settings.py with test defaults, and static files served from source.

A bare `pytest` works from a clean shell: the defaults below are those `make test` passes (DEBUG off, the
production code paths; plain HTTP), and a value set in the environment wins over them. {% static %} writes
plain names and the live server serves them from STATICFILES_DIRS and the apps (pytest-django wraps it in
staticfiles' handler), so the run needs no `collectstatic`.
"""

from __future__ import annotations

import os

from django.contrib.staticfiles.storage import StaticFilesStorage

for _name, _value in {
    "DEBUG": "0",
    "SECURE_HTTPS": "0",
    "SECRET_KEY": "test-only-secret-key-not-for-production-0123456789",
}.items():
    os.environ.setdefault(_name, _value)

from config.settings import *  # noqa: E402, F403
from config.settings import STORAGES  # noqa: E402


class SourceStaticFilesStorage(StaticFilesStorage):
    """Plain names, but a missing file is an error, as with the manifest storage in production."""

    def url(self, name: str | None) -> str:
        from django.contrib.staticfiles import finders

        if name and not finders.find(name):
            raise ValueError(f"No static file {name!r} in STATICFILES_DIRS or the apps")
        return super().url(name)


# The production (manifest) storage needs `collectstatic` first: {% static %} fails without its manifest.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "tests.settings.SourceStaticFilesStorage"}}
# No collected files: WhiteNoise has nothing to serve (and no missing directory to warn about).
STATIC_ROOT = None
# Hashing passwords as production does takes a quarter of a second each; what is tested is the
# sign-in, not the hash.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
