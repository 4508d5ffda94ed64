"""The query parameters of the HSDS API: provider search's filters plus HSDS's own, and pagination."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Q
from django.http import QueryDict

from directory.models import Provider, ProviderQuerySet
from directory.search.filters import ProviderFilter
from directory.search.rules import RULE, Criteria
from directory.taxonomy import KINDS
from directory.wording import FALSE_WORDS, TRUE_WORDS

from . import identifiers as ids
from .mapping import HsdsTerms

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# HSDS's own parameters; everything else goes to provider search (search is HSDS's name for q).
HSDS_PARAMS = {"page", "per_page", "search", "format", "full", "minimal", "taxonomy_term_id", "taxonomy_id",
               "organization_id", "modified_after", "full_service"}
RESPONSE_FORMAT = "json"
# The search rule that filters by each HSDS kind of the taxonomy.
KIND_RULES = {kind.hsds: RULE[kind.param] for kind in KINDS if kind.hsds}
# The UTC offsets of real time zones (Baker Island's -12:00 to Kiribati's +14:00); PostgreSQL refuses offsets
# past +-15:59, which ISO 8601 would allow up to +-23:59.
UTC_OFFSETS = (datetime.timedelta(hours=-12), datetime.timedelta(hours=14))

Errors = dict[str, list[str]]


class BadRequest(Exception):
    def __init__(self, errors: Errors) -> None:
        super().__init__(errors)
        self.errors = errors


class NotFound(Exception):
    def __init__(self, errors: Errors) -> None:
        super().__init__(errors)
        self.errors = errors


def refuse_control_characters(params: QueryDict) -> None:
    """PostgreSQL cannot compare text holding NUL, and no parameter needs a control character."""
    errors = {
        name: ["Remove the control characters from this value."]
        for name, values in params.lists()
        if any(ch < " " and ch not in "\t\n\r" for value in values for ch in value)
    }
    if errors:
        raise BadRequest(errors)


def flag(params: QueryDict, name: str) -> bool:
    value = params.get(name, "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise BadRequest({name: ["Use true or false."]})


@dataclass
class Page:
    items: list[Any]
    number: int
    total_items: int
    total_pages: int

    def envelope(self, contents: list[Any]) -> dict[str, Any]:
        """The page as HSDS's openapi.json describes it."""
        return {
            "total_items": self.total_items,
            "total_pages": self.total_pages,
            "page_number": self.number,
            "size": len(contents),
            "first_page": self.number == 1,
            "last_page": self.number >= self.total_pages,
            "empty": self.total_items == 0,
            "contents": contents,
        }


def paginate(params: QueryDict, sequence) -> Page:
    """page (1-based) and per_page (1 to MAX_PER_PAGE); a page past the last one is not found."""
    errors: Errors = {}
    per_page = _whole_number(params, "per_page", DEFAULT_PER_PAGE, errors,
                             f"Choose per_page from 1 to {MAX_PER_PAGE}.", 1, MAX_PER_PAGE)
    number = _whole_number(params, "page", 1, errors, "Enter the page as a whole number from 1.", 1, None)
    if errors:
        raise BadRequest(errors)
    paginator = Paginator(sequence, per_page, allow_empty_first_page=True)
    try:
        page = paginator.page(number)
    except (EmptyPage, PageNotAnInteger) as exc:
        raise NotFound({"page": ["There is no such page of results."]}) from exc
    return Page(list(page.object_list), page.number, paginator.count, paginator.num_pages)


def _whole_number(params: QueryDict, name: str, default: int, errors: Errors, message: str,
                  low: int, high: int | None) -> int:
    text = params.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        errors[name] = [message]
        return default
    if value < low or (high is not None and value > high):
        errors[name] = [message]
        return default
    return value


def check_format(params: QueryDict) -> QueryDict:
    """Accept HSDS's format=json; any other value of format is provider search's session format."""
    values = params.getlist("format")
    if any(value.strip().lower() == "ndjson" for value in values):
        raise BadRequest({"format": ["Only format=json is offered; page through the results instead."]})
    if all(value.strip().lower() == RESPONSE_FORMAT for value in values):
        params = params.copy()
        params.pop("format", None)
    return params


def services(params: QueryDict, vocabulary: HsdsTerms) -> ProviderQuerySet:
    """Published providers matching the request's filters, in provider search's order (by name unless `q` or
    `sort` says otherwise); raises BadRequest with every message."""
    params = check_format(params)
    search = params.copy()
    for name in HSDS_PARAMS - {"format"}:
        search.pop(name, None)
    search.pop("page_size", None)
    if params.get("search") and not params.get("q"):
        search["q"] = params["search"]
    filterset = ProviderFilter(search, queryset=Provider.objects.published())
    errors: Errors = {}
    if not filterset.is_valid():
        errors.update({name: list(messages) for name, messages in filterset.errors.items()})
    queryset = filterset.qs if not errors else Provider.objects.none()
    queryset = _by_taxonomy(queryset, params, vocabulary, errors)
    queryset = _by_organization(queryset, params, errors)
    queryset = _modified_after(queryset, params, errors)
    if errors:
        raise BadRequest(errors)
    return queryset


def _uuids(params: QueryDict, name: str, errors: Errors) -> list[str]:
    values = [value for value in params.getlist(name) if value.strip()]
    found = [ids.parse_uuid(value) for value in values]
    bad = [value for value, uuid in zip(values, found, strict=True) if uuid is None]
    if bad:
        errors[name] = [f"Not a UUID: {value}." for value in bad]
    return [uuid for uuid in found if uuid]


def _by_taxonomy(queryset: ProviderQuerySet, params: QueryDict, vocabulary: HsdsTerms,
                 errors: Errors) -> ProviderQuerySet:
    """Any of the terms within one part of the taxonomy, all parts given: like provider search's filters."""
    taxonomies = _uuids(params, "taxonomy_id", errors)
    if taxonomies and ids.TAXONOMY_ID not in taxonomies:
        return queryset.none()
    wanted: dict[str, list[str]] = {}
    for term_id in _uuids(params, "taxonomy_term_id", errors):
        found = vocabulary.keys.get(term_id)
        if found is None:
            errors.setdefault("taxonomy_term_id", []).append(f"Unknown taxonomy term: {term_id}.")
            continue
        kind, key = found
        keys = [key] if key else [k for (kd, k) in vocabulary.keys.values() if kd is kind and k]
        wanted.setdefault(kind.hsds, []).extend(keys)
    for code, keys in wanted.items():
        queryset = KIND_RULES[code].filter(queryset, keys, Criteria({}))
    return queryset


def _by_organization(queryset: ProviderQuerySet, params: QueryDict, errors: Errors) -> ProviderQuerySet:
    wanted = _uuids(params, "organization_id", errors)
    if not wanted:
        return queryset
    condition = Q(pk__in=[])
    for organization in wanted:
        key = ids.organization_key_for(organization)
        if key is None:
            continue
        kind, value = key
        condition |= Q(practice_name=value) if kind == "practice" else Q(practice_name="", slug=value)
    return queryset.filter(condition)


def _modified_after(queryset: ProviderQuerySet, params: QueryDict, errors: Errors) -> ProviderQuerySet:
    text = params.get("modified_after", "").strip()
    if not text:
        return queryset
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        errors["modified_after"] = ["Use an ISO 8601 date and time, such as 2026-11-01T00:00:00Z."]
        return queryset
    offset = moment.utcoffset()
    if offset is not None and not UTC_OFFSETS[0] <= offset <= UTC_OFFSETS[1]:
        errors["modified_after"] = ["Use a UTC offset from -12:00 to +14:00, such as Z or -05:00."]
        return queryset
    try:
        # In UTC before the database sees it; at the ends of the calendar the conversion overflows.
        moment = moment.replace(tzinfo=datetime.UTC) if offset is None else moment.astimezone(datetime.UTC)
    except OverflowError:
        errors["modified_after"] = ["Use a moment from the year 1 to 9999 in UTC."]
        return queryset
    return queryset.filter(updated__gte=moment)
