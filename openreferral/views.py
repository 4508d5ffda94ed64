"""The HSDS 3.0 API: services, organizations, taxonomies and taxonomy terms, paginated as openapi.json says."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.db.models import Case, F, Value, When
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from directory.models import Provider

from . import identifiers as ids
from . import mapping, queries

JSON_OPTIONS = {"ensure_ascii": False}


def hsds_api(view: Callable[..., dict]) -> Callable[..., JsonResponse]:
    """GET only; the view returns the body, and bad parameters or unknown ids become 400 and 404 JSON errors."""

    @require_GET
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> JsonResponse:
        try:
            queries.refuse_control_characters(request.GET)
            body = view(request, *args, **kwargs)
        except queries.BadRequest as exc:
            return JsonResponse({"errors": exc.errors}, status=400, json_dumps_params=JSON_OPTIONS)
        except queries.NotFound as exc:
            return JsonResponse({"errors": exc.errors}, status=404, json_dumps_params=JSON_OPTIONS)
        return JsonResponse(body, json_dumps_params=JSON_OPTIONS)

    return wrapped


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@hsds_api
def hsds_root(request: HttpRequest) -> dict:
    return {"version": mapping.HSDS_VERSION}


@hsds_api
def hsds_service_list(request: HttpRequest) -> dict:
    """Services with their one-to-one fields; full=true nests everything, as /services/<id> does."""
    full = queries.flag(request.GET, "full")
    vocabulary = mapping.HsdsTerms()
    page = queries.paginate(request.GET, queries.services(request.GET, vocabulary).values_list("pk", flat=True))
    providers = mapping.for_hsds(Provider.objects.filter(pk__in=page.items)).in_bulk()
    ordered = [providers[pk] for pk in page.items]
    return page.envelope(mapping.services(ordered, base_url=base_url(request), vocabulary=vocabulary, full=full))


@hsds_api
def hsds_service_detail(request: HttpRequest, id: str) -> dict:
    provider = _provider(id)
    return mapping.services([provider], base_url=base_url(request), vocabulary=mapping.HsdsTerms())[0]


def _provider(id_: str) -> Provider:
    not_found = queries.NotFound({"id": ["No published service has this id."]})
    service = ids.parse_uuid(id_)
    if service is None:
        raise not_found
    published = mapping.for_hsds(Provider.objects.published())
    provider = published.filter(external_id=f"{ids.IMPORTED_PREFIX}{service}").first()
    if provider is not None:
        return provider
    for recheck in (False, True):
        pk = ids.provider_pk_for_service(service, recheck)
        provider = published.filter(pk=pk).first() if pk is not None else None
        if provider is not None and ids.service_id(provider) == service:
            return provider
        if pk is None:
            break
    raise not_found


def organization_keys():
    """Each published organization once, by name: a practice, or a provider listed without one."""
    solo = When(practice_name="", then=Value("provider"))
    return (
        Provider.objects.published()
        .annotate(
            org_kind=Case(solo, default=Value("practice")),
            org_ref=Case(When(practice_name="", then=F("slug")), default=F("practice_name")),
            org_name=Case(When(practice_name="", then=F("name")), default=F("practice_name")),
        )
        .values_list("org_kind", "org_ref", "org_name")
        .distinct()
        .order_by("org_name", "org_ref")
    )


@hsds_api
def hsds_organization_list(request: HttpRequest) -> dict:
    page = queries.paginate(request.GET, organization_keys())
    keys = [(kind, ref) for kind, ref, _ in page.items]
    members = mapping.organization_members(keys)
    return page.envelope([mapping.organization(key, members[key]) for key in keys])


@hsds_api
def hsds_organization_detail(request: HttpRequest, id: str) -> dict:
    organization = ids.parse_uuid(id)
    key = ids.organization_key_for(organization) if organization else None
    members = mapping.organization_members([key])[key] if key else []
    if not members:
        raise queries.NotFound({"id": ["No organization has this id."]})
    return mapping.organization(key, members)


@hsds_api
def hsds_taxonomy_list(request: HttpRequest) -> dict:
    page = queries.paginate(request.GET, [mapping.taxonomy()])
    return page.envelope(page.items)


@hsds_api
def hsds_taxonomy_detail(request: HttpRequest, id: str) -> dict:
    if ids.parse_uuid(id) != ids.TAXONOMY_ID:
        raise queries.NotFound({"id": ["No taxonomy has this id."]})
    return mapping.taxonomy()


@hsds_api
def hsds_taxonomy_term_list(request: HttpRequest) -> dict:
    """Every term, parts of the taxonomy first; taxonomy_id, parent_id and top_only narrow the list."""
    terms = mapping.HsdsTerms().all_terms()
    errors: queries.Errors = {}
    for name in ("taxonomy_id", "parent_id"):
        value = request.GET.get(name, "").strip()
        if value and ids.parse_uuid(value) is None:
            errors[name] = [f"Not a UUID: {value}."]
    if errors:
        raise queries.BadRequest(errors)
    taxonomy = ids.parse_uuid(request.GET.get("taxonomy_id", ""))
    if taxonomy and taxonomy != ids.TAXONOMY_ID:
        terms = []
    parent = ids.parse_uuid(request.GET.get("parent_id", ""))
    if parent:
        terms = [term for term in terms if term.get("parent_id") == parent]
    if queries.flag(request.GET, "top_only"):
        terms = [term for term in terms if "parent_id" not in term]
    page = queries.paginate(request.GET, terms)
    return page.envelope(page.items)


@hsds_api
def hsds_taxonomy_term_detail(request: HttpRequest, id: str) -> dict:
    vocabulary = mapping.HsdsTerms()
    term_id = ids.parse_uuid(id)
    for term in vocabulary.all_terms():
        if term["id"] == term_id:
            return term
    raise queries.NotFound({"id": ["No taxonomy term has this id."]})
