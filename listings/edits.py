"""Edits that wait for review: a listing as plain values, the changes a provider proposes, the difference staff
read (old and new, in words), and approving or rejecting it.

A listing's values, as an edit's JSON holds them: text and fees as strings (or null), yes/no as booleans,
taxonomy as sorted slugs, licenses as {credential, jurisdiction, number, expires_on} and offices as {address,
city, jurisdiction, postal_code, wheelchair_accessible}, each list sorted. Verification is never part of it:
a license a provider adds or changes arrives unverified.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from directory.jurisdictions import JURISDICTIONS
from directory.models import CredentialType, License, Office, Provider, money
from directory.taxonomy import RELATIONS

from .forms import (
    FEE_FIELDS,
    TERM_FIELDS,
    TEXT_FIELDS,
    BaseLicenseFormSet,
    LicenseFormSet,
    ListingForm,
    OfficeFormSet,
)
from .models import Decision, ListingEdit

Values = dict[str, Any]

LICENSE_KEYS = ("credential", "jurisdiction", "number", "expires_on")
OFFICE_KEYS = ("address", "city", "jurisdiction", "postal_code", "wheelchair_accessible")
REVIEWED = (*TEXT_FIELDS, *FEE_FIELDS, *TERM_FIELDS, "licenses", "offices")


# --- A listing as values ---------------------------------------------------------------


def listing_values(provider: Provider) -> Values:
    """Everything on the listing that an edit may change, read from the database."""
    provider = Provider.objects.get(pk=provider.pk)
    values: Values = {name: _plain(getattr(provider, name)) for name in (*TEXT_FIELDS, *FEE_FIELDS)}
    for relation in TERM_FIELDS:
        key = provider._meta.get_field(relation).related_model.key_field
        values[relation] = sorted(getattr(provider, relation).values_list(key, flat=True))
    values["licenses"] = _sorted([
        {"credential": lic.credential_type.code, "jurisdiction": lic.jurisdiction, "number": lic.number,
         "expires_on": _plain(lic.expires_on)}
        for lic in provider.licenses.select_related("credential_type")
    ])
    values["offices"] = _sorted([{key: getattr(office, key) for key in OFFICE_KEYS}
                                 for office in provider.offices.all()])
    return values


def proposed_values(listing_form: ListingForm, licenses: BaseLicenseFormSet, offices) -> Values:
    """The listing as the provider's valid forms describe it."""
    data = listing_form.cleaned_data
    values: Values = {name: _plain(data[name]) for name in (*TEXT_FIELDS, *FEE_FIELDS)}
    for relation in TERM_FIELDS:
        values[relation] = sorted(term.key for term in data[relation])
    values["licenses"] = _sorted([
        {"credential": form.cleaned_data["credential"].code, "jurisdiction": form.cleaned_data["jurisdiction"],
         "number": form.cleaned_data["number"].strip(), "expires_on": _plain(form.cleaned_data["expires_on"])}
        for form in _kept(licenses)
    ])
    values["offices"] = _sorted([
        {key: form.cleaned_data[key].strip() if isinstance(form.cleaned_data[key], str) else form.cleaned_data[key]
         for key in OFFICE_KEYS}
        for form in _kept(offices)
    ])
    return values


def listing_forms(provider: Provider, data=None) -> tuple[ListingForm, BaseLicenseFormSet, Any]:
    """The edit form's parts, filled in with the listing as it will be once the waiting changes are approved."""
    values = waiting_values(provider)
    initial = {name: values[name] for name in (*TEXT_FIELDS, *FEE_FIELDS, *TERM_FIELDS)}
    return (
        ListingForm(data, instance=provider, initial=initial, label_suffix=""),
        LicenseFormSet(data, initial=values["licenses"], prefix="licenses", provider=provider,
                       form_kwargs={"label_suffix": ""}),
        OfficeFormSet(data, initial=values["offices"], prefix="offices", form_kwargs={"label_suffix": ""}),
    )


def changed_fields(before: Values, after: Values) -> Values:
    """The fields whose value differs, with their new value."""
    return {name: after[name] for name in REVIEWED if before.get(name) != after.get(name)}


def _kept(formset) -> list:
    return [form for form in formset.forms
            if form.cleaned_data and not formset._should_delete_form(form)]


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        # Browsers send a textarea's line breaks as CRLF, and forms strip the ends: neither is a change.
        return value.replace("\r\n", "\n").strip()
    if isinstance(value, Decimal):
        return f"{value:.2f}"  # as the database keeps fees: 120 and 120.00 are the same fee
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _sorted(items: list[Values]) -> list[Values]:
    return sorted(items, key=lambda item: [str(item[key] or "") for key in item])


# --- Proposing ---------------------------------------------------------------------------


def propose(provider: Provider, proposed: Values, by: AbstractBaseUser) -> ListingEdit | None:
    """Keep the provider's changes for review; a later proposal replaces one still waiting. None when nothing
    differs from the listing (a waiting proposal is then withdrawn)."""
    current = listing_values(provider)
    changes = changed_fields(current, proposed)
    with transaction.atomic():
        waiting = ListingEdit.objects.select_for_update().pending().about(provider).first()
        if not changes:
            if waiting:
                waiting.delete()
            return None
        before = {name: current[name] for name in changes}
        if waiting:
            waiting.changes, waiting.before, waiting.submitted_by = changes, before, by
            waiting.save(update_fields=["changes", "before", "submitted_by"])
            return waiting
        return ListingEdit.objects.create(provider=provider, changes=changes, before=before, submitted_by=by)


def waiting_values(provider: Provider) -> Values:
    """The listing as it will be if the waiting changes are approved (as it is, when none wait)."""
    values = listing_values(provider)
    waiting = ListingEdit.objects.pending().about(provider).first()
    return {**values, **waiting.changes} if waiting else values


# --- Reading the difference --------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    old: list[str]
    new: list[str]


def differences(edit: ListingEdit) -> list[Change]:
    """Field by field, in words: the listing's value (now, while waiting; when proposed, once decided) and the
    proposed one."""
    before = listing_values(edit.provider) if edit.is_pending else edit.before
    return [Change(label_of(name), describe(name, before.get(name)), describe(name, value))
            for name, value in edit.changes.items()]


def label_of(name: str) -> str:
    if name == "licenses":
        return "Licenses"
    if name == "offices":
        return "Offices"
    label = ListingForm.base_fields[name].label or Provider._meta.get_field(name).verbose_name
    return str(label)[:1].upper() + str(label)[1:]


def describe(name: str, value: Any) -> list[str]:
    """A value as lines people read: names rather than slugs, money, dates, yes or no."""
    if name in TERM_FIELDS:
        model = RELATIONS[name].model
        found = model.objects.filter(**{f"{model.key_field}__in": value or []})
        names = dict(found.values_list(model.key_field, "name"))
        return [names.get(key, key) for key in value or []] or ["(none)"]
    if name == "licenses":
        credentials = dict(CredentialType.objects.values_list("code", "name"))
        return [
            f"{credentials.get(lic['credential'], lic['credential'])}, "
            f"{JURISDICTIONS.get(lic['jurisdiction'], lic['jurisdiction'])}, number {lic['number']}"
            + (f", expires {_date_text(lic['expires_on'])}" if lic.get("expires_on") else "")
            for lic in value or []
        ] or ["(none)"]
    if name == "offices":
        return [
            ", ".join(part for part in (office["address"], office["city"],
                                        JURISDICTIONS.get(office["jurisdiction"], office["jurisdiction"]),
                                        office["postal_code"]) if part)
            + (" (wheelchair accessible)" if office.get("wheelchair_accessible") else "")
            for office in value or []
        ] or ["(none)"]
    if isinstance(value, bool):
        return ["Yes" if value else "No"]
    if name in ("standard_fee", "sliding_scale_min", "sliding_scale_max"):
        return [money(Decimal(value)) if value is not None else "(none)"]
    return [value] if value not in (None, "") else ["(none)"]


def _date_text(iso: str) -> str:
    return date_format(datetime.date.fromisoformat(iso), "F j, Y")


# --- Deciding ----------------------------------------------------------------------------


def approve(edit: ListingEdit, by: AbstractBaseUser) -> None:
    """Apply the changes through the listing's own validation, all or nothing; ValidationError (with every
    message) when the listing refuses them. A license added or changed arrives unverified."""
    if not edit.is_pending:
        raise ValidationError("These changes were already decided.")
    with transaction.atomic():
        _apply(edit)
        _decide(edit, Decision.APPROVED, by)


def _apply(edit: ListingEdit) -> None:
    provider = Provider.objects.select_for_update().get(pk=edit.provider_id)
    values = {**listing_values(provider), **edit.changes}
    form = ListingForm(data=values, instance=provider)
    if not form.is_valid():
        raise ValidationError([f"{label_of(name)}: {error}" if name != "__all__" else error
                               for name, errors in form.errors.items() for error in errors])
    form.save()
    if "licenses" in edit.changes:
        _apply_licenses(provider, edit.changes["licenses"])
    if "offices" in edit.changes:
        _apply_offices(provider, edit.changes["offices"])


class _TryingOnly(Exception):
    pass


def problems_approving(edit: ListingEdit) -> list[str]:
    """What the listing would refuse if these changes were approved now (empty when nothing): the changes are
    applied and undone."""
    try:
        with transaction.atomic():
            _apply(edit)
            raise _TryingOnly
    except _TryingOnly:
        return []
    except ValidationError as error:
        return error.messages


def reject(edit: ListingEdit, reason: str, by: AbstractBaseUser) -> None:
    """Leave the listing as it is; the provider sees the reason on their dashboard."""
    if not edit.is_pending:
        raise ValidationError("These changes were already decided.")
    if not reason.strip():
        raise ValidationError("Say why the changes are not approved: the provider sees this.")
    _decide(edit, Decision.REJECTED, by, reason=reason.strip())


def _decide(edit: ListingEdit, status: str, by: AbstractBaseUser, reason: str = "") -> None:
    edit.status, edit.reason, edit.decided_by, edit.decided_at = status, reason, by, timezone.now()
    edit.save(update_fields=["status", "reason", "decided_by", "decided_at"])


def _apply_licenses(provider: Provider, wanted: list[Values]) -> None:
    """Licenses exactly as proposed are kept as they are (with their verification); the others go, and the new
    ones are created unverified, each through License's validation."""
    existing = {_license_key(lic): lic for lic in provider.licenses.select_related("credential_type")}
    keep = {_key(item, LICENSE_KEYS) for item in wanted}
    for key, lic in existing.items():
        if key not in keep:
            lic.delete()
    errors = []
    for item in wanted:
        if _key(item, LICENSE_KEYS) in existing:
            continue
        lic = License(provider=provider, jurisdiction=item["jurisdiction"], number=item["number"],
                      expires_on=item["expires_on"], verified_on=None, verified_by=None)
        lic.credential_type = CredentialType.objects.filter(code=item["credential"]).first()
        try:
            lic.full_clean()
        except ValidationError as error:
            errors += [f"License {item['credential']} {item['jurisdiction']} {item['number']}: {message}"
                       for message in error.messages]
            continue
        lic.save()
    if errors:
        raise ValidationError(errors)


def _apply_offices(provider: Provider, wanted: list[Values]) -> None:
    """Offices exactly as proposed are kept (with their coordinates); the others go; new ones are created."""
    existing = {_key({key: getattr(office, key) for key in OFFICE_KEYS}, OFFICE_KEYS): office
                for office in provider.offices.all()}
    keep = {_key(item, OFFICE_KEYS) for item in wanted}
    for key, office in existing.items():
        if key not in keep:
            office.delete()
    errors = []
    for item in wanted:
        if _key(item, OFFICE_KEYS) in existing:
            continue
        office = Office(provider=provider, **{key: item[key] for key in OFFICE_KEYS})
        try:
            office.full_clean()
        except ValidationError as error:
            errors += [f"Office {office}: {message}" for message in error.messages]
            continue
        office.save()
    if errors:
        raise ValidationError(errors)


def _license_key(lic: License) -> tuple:
    return (lic.credential_type.code, lic.jurisdiction, lic.number, _plain(lic.expires_on))


def _key(item: Values, keys: tuple[str, ...]) -> tuple:
    return tuple(item[key] for key in keys)
