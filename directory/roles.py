"""Staff roles: editors keep the data; verifiers may also mark licenses verified."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from .taxonomy import KINDS

EDITORS = "editors"
VERIFIERS = "verifiers"

# Models editors add and change (app label, model name): the providers, every part of the taxonomy, and the
# content of the other apps (named, not imported: this app depends on none of them). Report is reviewed,
# not added.
EDITED_MODELS = [
    ("directory", "provider"), ("directory", "license"), ("directory", "office"),
    *(("directory", kind.model._meta.model_name) for kind in KINDS),
    ("directory", "resource"), ("guides", "guide"), ("finder", "nextsteprule"), ("finder", "guidancenote"),
    ("listings", "accuracyround"), ("listings", "accuracycall"),  # the monthly phone checks: draw, call, close
]
REVIEWED_MODELS = [("directory", "report"), ("listings", "listingedit")]
# Models editors may look at: claims to a listing, which only verifiers decide, and providers' accounts.
VIEWED_MODELS = [("listings", "claimrequest"), ("listings", "provideraccount")]
# What verifiers may do besides: mark licenses verified, and decide claims (after checking the license).
VERIFIER_MODELS = [("listings", "claimrequest")]


def _permissions(app_label: str, model: str, actions: list[str]) -> list[Permission]:
    try:
        model_class = apps.get_model(app_label, model)
    except LookupError:
        return []
    content_type = ContentType.objects.get_for_model(model_class)
    codenames = [f"{action}_{model}" for action in actions]
    return list(Permission.objects.filter(content_type=content_type, codename__in=codenames))


def editor_permissions() -> list[Permission]:
    permissions = []
    for app_label, model in EDITED_MODELS:
        permissions += _permissions(app_label, model, ["view", "add", "change"])
    for app_label, model in REVIEWED_MODELS:
        permissions += _permissions(app_label, model, ["view", "change"])
    for app_label, model in VIEWED_MODELS:
        permissions += _permissions(app_label, model, ["view"])
    return permissions


def setup_roles() -> dict[str, int]:
    """Create or refresh both groups; running it again changes nothing."""
    editor_perms = editor_permissions()
    verifier_perms = editor_perms + list(
        Permission.objects.filter(content_type__app_label="directory", codename="verify_license")
    )
    for app_label, model in VERIFIER_MODELS:
        verifier_perms += _permissions(app_label, model, ["change"])
    result = {}
    for name, perms in ((EDITORS, editor_perms), (VERIFIERS, verifier_perms)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(perms)
        result[name] = len(perms)
    return result
