"""Providers, their licenses and offices, the taxonomy they are described by, resources and reports."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import ASin, Coalesce, Cos, Least, Now, Power, Radians, Sin, Sqrt, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from . import geo
from .jurisdictions import JURISDICTION_CHOICES, JURISDICTIONS
from .npi import validate_npi
from .photos import PhotoField, remove_after_commit

STALE_AFTER_DAYS = 365


def availability_cutoff(days: int | None = None, today: datetime.date | None = None) -> datetime.date:
    """An accepting status confirmed before this day is no longer recent (settings.AVAILABILITY_STALE_DAYS), or,
    given settings.AVAILABILITY_UNKNOWN_DAYS, no longer known at all (on today, by default the site's today)."""
    days = settings.AVAILABILITY_STALE_DAYS if days is None else days
    return (today or timezone.localdate()) - datetime.timedelta(days=days)


class Availability(models.TextChoices):
    """What a provider's listing says about taking a new client, as people read it."""

    ACCEPTING = "accepting", "Accepting new clients"
    WAITLIST = "waitlist", "Waitlist"
    NOT_ACCEPTING = "not-accepting", "Not accepting new clients"
    UNKNOWN = "unknown", "Availability unknown"


# --- Taxonomy ---------------------------------------------------------------------------


class NaturalKeyManager(models.Manager):
    """get_by_natural_key() for models whose natural key is their one unique key_field (slug, code)."""

    def get_by_natural_key(self, key: str):
        normal = getattr(self.model, "normal_key", str)
        return self.get(**{self.model.key_field: normal(key)})


class TermQuerySet(models.QuerySet):
    def with_keys(self, keys: list[str]) -> TermQuerySet:
        """Terms whose slug (or code) is one of keys; blank input is a no-op."""
        keys = [k for k in keys if k]
        if not keys:
            return self
        return self.filter(**{f"{self.model.key_field}__in": keys})


class TermManager(NaturalKeyManager.from_queryset(TermQuerySet)):
    pass


class Term(models.Model):
    """A taxonomy value: a slug that the public URLs, API and CSV name, with a display name."""

    key_field = "slug"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text="A short plain-language description.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first in lists.")

    objects = TermManager()

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (getattr(self, self.key_field),)

    @property
    def key(self) -> str:
        return getattr(self, self.key_field)


class Modality(Term):
    class Category(models.TextChoices):
        PSYCHOTHERAPY = "psychotherapy", "Psychotherapy"
        COMPLEMENTARY = "complementary", "Complementary"
        BRAIN_STIMULATION = "brain-stimulation", "Brain stimulation"
        MEDICAL = "medical", "Medical"

    category = models.CharField(max_length=20, choices=Category.choices)
    aliases = models.TextField(
        blank=True,
        help_text="Abbreviations and other names, separated by commas (e.g. rTMS).",
    )
    typical_course = models.CharField(
        max_length=200, blank=True, help_text="What a typical course looks like, e.g. 5 to 20 sessions."
    )
    evidence_based = models.BooleanField(
        default=False, help_text="Recommended by clinical guidelines for at least one concern."
    )
    min_age = models.PositiveSmallIntegerField(
        "minimum age", null=True, blank=True,
        help_text="The youngest age it is for (e.g. 18 for esketamine). The fit finder never suggests it, nor "
                  "gives it as a reason, for an age group that starts below this age. Empty: no age limit.",
    )

    class Meta(Term.Meta):
        verbose_name_plural = "modalities"

    def get_absolute_url(self) -> str:
        return reverse("modality_detail", args=[self.slug])

    @property
    def short_name(self) -> str:
        """CBT rather than Cognitive Behavioral Therapy (CBT), where the name carries an abbreviation."""
        if self.name.endswith(")") and "(" in self.name:
            return self.name[self.name.rindex("(") + 1 : -1]
        return self.name

    def alias_list(self) -> list[str]:
        return [a.strip() for a in self.aliases.split(",") if a.strip()]

    def suits(self, age_group: AgeGroup | None) -> bool:
        """Whether it is for everyone in this age group (an unknown age group: yes, and its age limit is shown)."""
        return self.min_age is None or age_group is None or age_group.min_age >= self.min_age

    @property
    def age_limit(self) -> str:
        """The age limit in words, e.g. "For adults (18 and over)"."""
        if self.min_age is None:
            return ""
        return "For adults (18 and over)" if self.min_age == 18 else f"For people {self.min_age} and over"


class ConditionQuerySet(TermQuerySet):
    def with_narrower(self, conditions: Iterable[Term | str]) -> ConditionQuerySet:
        """These conditions and the narrower ones that count for them (a specialist in treatment-resistant
        depression counts for depression); Snapshot.narrower() is the same rule in memory."""
        ids, keys = _ids_and_keys(conditions)
        found = Q(pk__in=ids) | Q(broader_id__in=ids) if ids else Q(pk__in=[])
        if keys:
            found |= Q(slug__in=keys) | Q(broader__slug__in=keys)
        return self.filter(found)


class Condition(Term):
    aliases = models.TextField(blank=True, help_text="Other names, separated by commas.")
    broader = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="narrower",
        help_text="A specialist in this condition also counts for the broader one.",
    )

    objects = TermManager.from_queryset(ConditionQuerySet)()

    class Meta(Term.Meta):
        pass

    def get_absolute_url(self) -> str:
        return reverse("condition_detail", args=[self.slug])

    def alias_list(self) -> list[str]:
        return [a.strip() for a in self.aliases.split(",") if a.strip()]


class CredentialType(Term):
    key_field = "code"

    slug = None
    code = models.CharField(
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9]+$", "Use letters and digits only, e.g. LCSW.")],
    )
    can_prescribe = models.BooleanField(default=False)

    @staticmethod
    def normal_key(key: str) -> str:
        return key.upper()

    class Meta(Term.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(code=Upper("code")),
                name="credentialtype_code_uppercase",
                violation_error_message="Credential codes are stored in capitals.",
            ),
        ]

    def save(self, *args, **kwargs) -> None:
        self.code = (self.code or "").strip().upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.code = (self.code or "").strip().upper()



class RegistryTaxonomyManager(models.Manager):
    def get_by_natural_key(self, code: str) -> RegistryTaxonomy:
        return self.get(code=code.upper())


class RegistryTaxonomy(models.Model):
    """A NUCC taxonomy code of the NPI registry and the credential a provider listed under it holds here.

    Where two credentials share a code (MD or DO, PHD or PSYD), the provider's free credential text chooses:
    the alternative when it names one of alternative_words, else the credential.
    """

    code = models.CharField(
        max_length=10, unique=True,
        validators=[RegexValidator(r"^[0-9A-Z]{9}X$", "A taxonomy code is 10 characters ending in X: 1041C0700X.")],
    )
    meaning = models.CharField(max_length=120, help_text="The code's name in the NUCC taxonomy.")
    credential_type = models.ForeignKey(
        CredentialType, on_delete=models.PROTECT, related_name="+",
        help_text="The credential a provider listed under this code holds (MD if the text does not say DO).",
    )
    alternative = models.ForeignKey(
        CredentialType, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        help_text="The other credential this code may mean (DO beside MD, PSYD beside PHD).",
    )
    alternative_words = models.CharField(
        max_length=200, blank=True,
        help_text="Words in the provider's credential text that mean the alternative, separated by commas "
                  "(DO; PSYD). Case, periods and spaces do not count: Psy.D. and psyd read as PSYD.",
    )

    objects = RegistryTaxonomyManager()

    class Meta:
        ordering = ["code"]
        verbose_name = "NPI registry taxonomy code"
        constraints = [
            models.CheckConstraint(
                condition=Q(alternative__isnull=False) | Q(alternative_words=""),
                name="registrytaxonomy_words_need_alternative",
                violation_error_message="Choose the alternative credential the words mean, or clear the words.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.meaning}"

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    natural_key.dependencies = ["directory.credentialtype"]

    def save(self, *args, **kwargs) -> None:
        self.code = (self.code or "").strip().upper()
        super().save(*args, **kwargs)

    @property
    def words(self) -> frozenset[str]:
        return frozenset(credential_words(self.alternative_words.replace(",", " ")))

    def credential_for(self, credential_text: str) -> int:
        """The id of the credential type a provider with this credential text holds under this code."""
        if self.alternative_id and self.words & credential_words(credential_text):
            return self.alternative_id
        return self.credential_type_id


def credential_words(text: str) -> set[str]:
    """The words of a free credential text, in capitals, periods dropped: "Ph.D., ABPP" gives {PHD, ABPP}; each
    part between commas also counts with its spaces dropped, so "Psy. D." reads as PSYD."""
    text = (text or "").upper()
    words = set(re.split(r"[^0-9A-Z]+", text.replace(".", "")))
    words.update(re.sub(r"[^0-9A-Z]+", "", part) for part in re.split(r"[,;/]", text))
    words.discard("")
    return words


class SessionFormat(Term):
    class Meta(Term.Meta):
        pass


class AgeGroup(Term):
    min_age = models.PositiveSmallIntegerField(default=0)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: no upper limit.")

    class Meta(Term.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(max_age__isnull=True) | Q(max_age__gte=models.F("min_age")),
                name="agegroup_ages_ordered",
                violation_error_message="The maximum age cannot be below the minimum age.",
            ),
        ]


class Language(Term):
    """slug is the ISO 639-1 code (en, es, ...)."""

    slug = models.SlugField(
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^[a-z]{2}$", "Use the two-letter ISO 639-1 code, e.g. es.")],
        help_text="ISO 639-1 code.",
    )

    class Meta(Term.Meta):
        pass


class InsurancePlan(Term):
    class Meta(Term.Meta):
        pass


# --- Providers --------------------------------------------------------------------------


class ProviderQuerySet(models.QuerySet):
    """Every public filter is one method here. Blank input is a no-op, so the methods chain."""

    def published(self) -> ProviderQuerySet:
        return self.filter(published=True)

    # -- taxonomy: "any of these" (terms, or their keys) ----------------------------------

    def offering(self, modalities: Iterable[Term | str]) -> ProviderQuerySet:
        return self._with_any("modalities", modalities)

    def specializing_in(self, conditions: Iterable[Term | str]) -> ProviderQuerySet:
        """A specialist in a narrower condition (treatment-resistant depression) counts for the broader one."""
        conditions = [condition for condition in conditions or () if condition]
        if not conditions:
            return self
        counted = Condition.objects.with_narrower(conditions).values("pk")
        return self.filter(Exists(Provider.conditions.through.objects.filter(provider=OuterRef("pk"),
                                                                            condition__in=counted)))

    def serving_formats(self, formats: Iterable[Term | str]) -> ProviderQuerySet:
        return self._with_any("formats", formats)

    def serving_age_groups(self, age_groups: Iterable[Term | str]) -> ProviderQuerySet:
        return self._with_any("age_groups", age_groups)

    def speaking(self, languages: Iterable[Term | str]) -> ProviderQuerySet:
        return self._with_any("languages", [v.lower() if isinstance(v, str) else v for v in languages or ()])

    def accepting_insurance(self, plans: Iterable[Term | str]) -> ProviderQuerySet:
        return self._with_any("insurance", plans)

    def _with_any(self, relation: str, terms: Iterable[Term | str]) -> ProviderQuerySet:
        terms = [term for term in terms or () if term]
        return self.filter(linked_to_any(relation, terms)) if terms else self

    # -- licenses ---------------------------------------------------------------------

    def holding_credentials(self, credentials: Iterable[Term | str]) -> ProviderQuerySet:
        ids, codes = _ids_and_keys(credentials)
        if not (ids or codes):
            return self
        held = Q(credential_type_id__in=ids) if ids else Q(credential_type__code__in=[code.upper() for code in codes])
        if ids and codes:
            held |= Q(credential_type__code__in=[code.upper() for code in codes])
        return self.filter(Exists(License.objects.current().filter(held, provider=OuterRef("pk"))))

    def prescribers(self, required: bool = True, jurisdiction: str | None = None) -> ProviderQuerySet:
        """Holds a credential that can prescribe (licensed in the jurisdiction, when one is given: a
        prescribing license elsewhere does not let them prescribe there)."""
        if not required:
            return self
        licenses = License.objects.current().filter(provider=OuterRef("pk"), credential_type__can_prescribe=True)
        if jurisdiction:
            licenses = licenses.filter(jurisdiction=jurisdiction.upper())
        return self.filter(Exists(licenses))

    def licensed_in(self, jurisdiction: str | None) -> ProviderQuerySet:
        """Holds a license in the jurisdiction: the only place a provider may see clients."""
        if not jurisdiction:
            return self
        return self.filter(
            Exists(License.objects.current().filter(provider=OuterRef("pk"), jurisdiction=jurisdiction.upper()))
        )

    def verified(self, required: bool = True) -> ProviderQuerySet:
        """Holds at least one license that staff verified."""
        if not required:
            return self
        return self.filter(Exists(License.objects.current().filter(provider=OuterRef("pk"), verified_on__isnull=False)))

    def with_last_license_verification(self) -> ProviderQuerySet:
        """Annotate license_verified: the most recent date staff verified one of the licenses."""
        latest = (
            License.objects.current().filter(provider=OuterRef("pk"), verified_on__isnull=False)
            .order_by("-verified_on").values("verified_on")[:1]
        )
        return self.annotate(license_verified=Subquery(latest))

    # -- how and where they meet --------------------------------------------------------

    def offering_telehealth(self, required: bool = True) -> ProviderQuerySet:
        return self.filter(telehealth=True) if required else self

    def in_person(self, required: bool = True, jurisdiction: str | None = None) -> ProviderQuerySet:
        """Has an office (in the jurisdiction, when one is given)."""
        return self.filter(has_office(jurisdiction)) if required else self

    def near(self, centre: tuple[float, float] | None, radius_miles: float) -> ProviderQuerySet:
        """Has an office within radius_miles of centre; annotates distance_miles to the nearest such office."""
        if centre is None:
            return self
        # Select by the offices in range first (the coordinates index), so the distance is computed
        # for those providers only, not for every row of the table.
        return self.filter(pk__in=offices_within(centre, radius_miles).values("provider_id")).with_distance(
            centre, radius_miles
        )

    def with_distance(self, centre: tuple[float, float] | None, radius_miles: float) -> ProviderQuerySet:
        """Annotate distance_miles: to the nearest office within radius_miles of centre, else null.

        A bounding box the (latitude, longitude) index can serve narrows the offices first; the exact
        great-circle distance is computed only for those.
        """
        if centre is None:
            return self
        nearest = offices_within(centre, radius_miles).filter(provider=OuterRef("pk")).order_by("miles").values(
            "miles"
        )[:1]
        return self.annotate(distance_miles=Subquery(nearest, output_field=models.FloatField()))

    # -- fees and availability ----------------------------------------------------------

    def with_lowest_fee(self) -> ProviderQuerySet:
        """Annotate lowest_fee: the sliding-scale floor when there is one, else the standard fee."""
        return self.annotate(lowest_fee=Coalesce("sliding_scale_min", "standard_fee"))

    def affordable(self, max_fee: Decimal | None) -> ProviderQuerySet:
        """Lowest possible fee at most max_fee; providers with no fee listed do not match."""
        if max_fee is None:
            return self
        return self.filter(costs_at_most(max_fee))

    def with_sliding_scale(self, required: bool = True) -> ProviderQuerySet:
        return self.filter(sliding_scale_min__isnull=False) if required else self

    def with_free_consultation(self, required: bool = True) -> ProviderQuerySet:
        return self.filter(free_consultation=True) if required else self

    def of_gender(self, gender: str | None) -> ProviderQuerySet:
        return self.filter(gender=gender) if gender else self

    def accepting(self, required: bool = True) -> ProviderQuerySet:
        """Accepting new clients, as confirmed within settings.AVAILABILITY_UNKNOWN_DAYS (older, nobody knows):
        the same rule as Provider.availability."""
        if not required:
            return self
        return self.filter(accepting_new_clients=True,
                           accepting_confirmed__gte=availability_cutoff(settings.AVAILABILITY_UNKNOWN_DAYS))

    def accepting_lapsing_between(self, first: datetime.date, second: datetime.date) -> ProviderQuerySet:
        """Providers whom accepting() counts on one of these days and not on the other: their confirmation
        becomes too old to count in between."""
        earlier, later = sorted((first, second))
        days = settings.AVAILABILITY_UNKNOWN_DAYS
        return self.filter(accepting_new_clients=True,
                           accepting_confirmed__gte=availability_cutoff(days, earlier),
                           accepting_confirmed__lt=availability_cutoff(days, later))

    def with_evening_hours(self, required: bool = True) -> ProviderQuerySet:
        return self.filter(evenings=True) if required else self

    def with_weekend_hours(self, required: bool = True) -> ProviderQuerySet:
        return self.filter(weekends=True) if required else self

    # -- free text and order ------------------------------------------------------------

    def by_relevance(self) -> ProviderQuerySet:
        """Best text match first when there is a query (directory.search.text annotates `rank`), else by name;
        a basic listing from the NPI registry that its provider has not confirmed comes after the others."""
        if "rank" in self.query.annotations:
            return self.order_by("unconfirmed_registry_listing", F("rank").desc(), "name", "id")
        return self.order_by("unconfirmed_registry_listing", "name", "id")

    def unconfirmed_registry_listings(self) -> ProviderQuerySet:
        """Basic listings from the NPI registry that no provider confirmed: they rank below the others."""
        return self.filter(unconfirmed_registry_listing=True)

    def by_name(self) -> ProviderQuerySet:
        return self.order_by("name", "id")

    def by_distance(self) -> ProviderQuerySet:
        """Nearest office first; needs near(), which annotates distance_miles."""
        if "distance_miles" not in self.query.annotations:
            return self.by_name()
        return self.order_by("distance_miles", "name", "id")

    def by_fee(self) -> ProviderQuerySet:
        """Lowest possible fee first; providers with no fee listed last."""
        return self.with_lowest_fee().order_by(F("lowest_fee").asc(nulls_last=True), "name", "id")

    def by_recent_verification(self) -> ProviderQuerySet:
        """Most recently verified profile first (Provider.last_verified, the whole-profile check); never last."""
        return self.order_by(F("last_verified").desc(nulls_last=True), "name", "id")

    def sorted_by(self, sort: str | None) -> ProviderQuerySet:
        """The public sort orders: relevance (default), distance, fee, recent, name; ties broken by name, id."""
        orders = {
            "relevance": self.by_relevance,
            "distance": self.by_distance,
            "fee": self.by_fee,
            "recent": self.by_recent_verification,
            "name": self.by_name,
        }
        return orders.get(sort or "relevance", self.by_relevance)()

    # -- loading for display ------------------------------------------------------------

    def with_terms(self) -> ProviderQuerySet:
        """Load every taxonomy relation (modalities, conditions, ...): one small query each for all the rows."""
        return self.prefetch_related(*(
            Prefetch(relation, queryset=self.model._meta.get_field(relation).related_model.objects.only(*TERM_FIELDS))
            for relation in TERM_RELATIONS
        ))

    def similar_to(self, providers: Iterable[Provider]) -> ProviderQuerySet:
        """Others a person could ask instead: licensed in a state where one of these providers is, offering one of
        their approaches; never one of them."""
        providers = list(providers)
        if not providers:
            return self.none()
        ids = [provider.pk for provider in providers]
        states = License.objects.current().filter(provider__in=ids).values("jurisdiction")
        approaches = Provider.modalities.through.objects.filter(provider__in=ids).values("modality")
        licensed = License.objects.current().filter(jurisdiction__in=states).values("provider")
        offering = Provider.modalities.through.objects.filter(modality__in=approaches).values("provider")
        return self.filter(pk__in=licensed).filter(pk__in=offering).exclude(pk__in=ids)

    def for_cards(self) -> ProviderQuerySet:
        """Everything a result card and provider_json() show, in a fixed number of queries per page.

        One query for the providers (without the long text columns), one each for licenses and offices,
        and one for all the taxonomy links, whatever the page size.
        """
        return self.only(*CARD_FIELDS).with_terms().prefetch_related(
            Prefetch(
                "licenses",
                queryset=License.objects.select_related("credential_type").only(
                    "id", "provider_id", "jurisdiction", "verified_on", "expires_on",
                    "credential_type__code", "credential_type__name", "credential_type__can_prescribe",
                    "credential_type__position",
                ),
            ),
            Prefetch(
                "offices",
                queryset=Office.objects.only("id", "provider_id", "city", "jurisdiction", "postal_code"),
            ),
        )

    def for_profile(self) -> ProviderQuerySet:
        """Everything the profile page shows, with licenses and offices in full."""
        return self.with_terms().prefetch_related(
            Prefetch("licenses", queryset=License.objects.select_related("credential_type")), "offices",
        )

    # -- freshness ----------------------------------------------------------------------

    def not_verified_since(self, day: datetime.date) -> ProviderQuerySet:
        """Profiles last checked before day, or never."""
        return self.filter(Q(last_verified__isnull=True) | Q(last_verified__lt=day))

    def stale(self) -> ProviderQuerySet:
        return self.not_verified_since(timezone.localdate() - datetime.timedelta(days=STALE_AFTER_DAYS))


def linked_to_any(relation: str, terms: Iterable[Term | str]) -> Exists:
    """A condition on providers: linked through the many-to-many `relation` to one of these terms.

    Correlated (EXISTS per provider row, through the unique (provider, term) index), so it costs in
    proportion to the providers it is asked about. Terms given as instances (the search's, from the cached
    taxonomy) go into the SQL as ids: PostgreSQL then knows how many providers each has and plans
    accordingly; keys are matched through a join.
    """
    field = Provider._meta.get_field(relation)
    through = field.remote_field.through
    term = field.m2m_reverse_field_name()
    ids, keys = _ids_and_keys(terms)
    wanted = Q()
    if ids:
        wanted |= Q(**{f"{term}_id__in": ids})
    if keys:
        wanted |= Q(**{f"{term}__{field.related_model.key_field}__in": keys})
    return Exists(through.objects.filter(wanted, **{field.m2m_field_name(): OuterRef("pk")}))


def _ids_and_keys(terms: Iterable[Term | str]) -> tuple[list[int], list[str]]:
    """The ids of the terms given as instances, and the keys of those given as strings."""
    terms = [term for term in terms or () if term]
    return [t.pk for t in terms if isinstance(t, Term)], [t for t in terms if isinstance(t, str)]


def offices_within(centre: tuple[float, float], radius_miles: float) -> models.QuerySet:
    """Offices within radius_miles of centre, annotated with miles.

    A bounding box the (latitude, longitude) index can serve narrows the offices first; the exact
    great-circle distance is computed only for those.
    """
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(centre, radius_miles)
    return (
        Office.objects.filter(
            latitude__gte=min_lat, latitude__lte=max_lat, longitude__gte=min_lon, longitude__lte=max_lon
        )
        .annotate(miles=great_circle_miles(centre))
        .filter(miles__lte=radius_miles)
    )


def slug_base(name: str) -> str:
    """The slug a name gives before any number (unique_slug)."""
    return slugify(name)[:200] or "provider"


def unique_slug(name: str, taken: set[str]) -> str:
    """The name's slug, numbered (-2, -3, ...) past those in taken, which it joins."""
    base = slug_base(name)
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def has_office(jurisdiction: str | None = None) -> Exists:
    """A condition on providers: has an office (in the jurisdiction, when one is given). Correlated, so it
    can be OR-ed with other conditions."""
    offices = Office.objects.filter(provider=OuterRef("pk"))
    return Exists(offices.filter(jurisdiction=jurisdiction.upper()) if jurisdiction else offices)


def costs_at_most(max_fee: Decimal) -> Q:
    """The lowest possible fee (the sliding-scale floor when there is one, else the standard fee) is at
    most max_fee; a provider with no fee listed does not qualify. A condition, so it can be OR-ed."""
    return Q(sliding_scale_min__lte=max_fee) | Q(sliding_scale_min__isnull=True, standard_fee__lte=max_fee)


def great_circle_miles(centre: tuple[float, float]) -> models.Func:
    """Haversine distance in miles from centre to the row's latitude/longitude, in SQL."""
    lat, lon = (math.radians(v) for v in centre)
    dlat = Radians("latitude") - lat
    dlon = Radians("longitude") - lon
    h = Power(Sin(dlat / 2), 2) + math.cos(lat) * Cos(Radians("latitude")) * Power(Sin(dlon / 2), 2)
    # Rounding can push h a hair above 1 for antipodal points; ASin would then fail.
    h = Least(h, Value(1.0))
    return ExpressionWrapper(2 * geo.EARTH_RADIUS_MILES * ASin(Sqrt(h)), output_field=models.FloatField())


# The Provider many-to-many relations to the taxonomy (directory.taxonomy.KINDS describes each), and the
# columns of a term that a card or profile shows.
TERM_RELATIONS = ("modalities", "conditions", "formats", "age_groups", "languages", "insurance")
TERM_FIELDS = ("id", "slug", "name", "position")


# The provider columns a card or the JSON API shows; the long text stays in the database.
CARD_FIELDS = (
    "id", "external_id", "name", "slug", "pronouns", "gender", "practice_name", "published",
    "accepting_new_clients", "accepting_confirmed", "next_opening", "waitlist_weeks", "weekday_daytime", "evenings",
    "weekends", "last_verified", "standard_fee", "sliding_scale_min", "sliding_scale_max", "free_consultation",
    "telehealth", "photo", "photo_alt", "unconfirmed_registry_listing",
)


class ProviderManager(NaturalKeyManager.from_queryset(ProviderQuerySet)):
    pass


def _fee_field(verbose_name: str) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"), "A fee cannot be negative.")],
    )


class Provider(models.Model):
    key_field = "slug"

    class Gender(models.TextChoices):
        WOMAN = "woman", "Woman"
        MAN = "man", "Man"
        NON_BINARY = "non-binary", "Non-binary"

    class Source(models.TextChoices):
        DIRECTORY = "", "This directory"
        NPI_REGISTRY = "npi-registry", "NPI registry"

    external_id = models.CharField(
        "external ID",
        max_length=100,
        blank=True,
        help_text="The provider's ID in the source system the listing was imported from.",
    )
    npi = models.CharField(
        "NPI", max_length=10, blank=True, validators=[validate_npi],
        help_text="The National Provider Identifier (10 digits), when known: the NPI registry import matches by it.",
    )
    source = models.CharField(
        max_length=20, choices=Source.choices, blank=True, default=Source.DIRECTORY,
        help_text="Where the listing came from: a basic listing from the NPI registry is marked as such until its "
                  "provider confirms it.",
    )
    provider_confirmed = models.DateField(
        "confirmed by the provider", null=True, blank=True,
        help_text="When the provider first confirmed the listing: their claim approved, or an answer to a "
                  "confirmation email.",
    )
    # The rule "a basic listing from the NPI registry that its provider has not confirmed", declared once: the
    # search's default order and the fit finder's put these last; the facet index can read it as a column.
    unconfirmed_registry_listing = models.GeneratedField(
        expression=Case(When(Q(source="npi-registry", provider_confirmed__isnull=True), then=Value(True)),
                        default=Value(False)),
        output_field=models.BooleanField(), db_persist=True,
    )
    # What the NPI registry import last wrote to each provider field it gives ({"name": ..., "phone": ...}): it
    # changes a field only while it is empty or still holds that value, so an edit made here is never overwritten.
    registry_values = models.JSONField(default=dict, blank=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True, blank=True, help_text="Filled from the name if empty.")
    pronouns = models.CharField(max_length=40, blank=True)
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True)
    practice_name = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True, max_length=5000)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    email_public = models.BooleanField(
        "show the email address publicly", default=False,
        help_text="Only when the provider asked for it: otherwise the address is for staff and sign-in links only, "
                  "never on the listing or in open data.",
    )
    website = models.URLField(blank=True)
    photo = PhotoField(
        blank=True,
        help_text="Optional. It is resized, and its metadata (such as where it was taken) removed, before it is kept.",
    )
    photo_alt = models.CharField(
        "photo description", max_length=200, blank=True,
        help_text="What the photo shows, for people who cannot see it. Left blank, it reads “Photo of” and the name.",
    )

    published = models.BooleanField(default=True, help_text="Unpublished providers never appear publicly.")
    accepting_new_clients = models.BooleanField(default=False)
    accepting_confirmed = models.DateField(
        "accepting status confirmed", null=True, blank=True, help_text="When the accepting status was last confirmed."
    )
    next_opening = models.DateField(
        "next opening", null=True, blank=True, help_text="When the provider can first see a new client, if known."
    )
    waitlist_weeks = models.PositiveSmallIntegerField(
        "waitlist (weeks)", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(104)],
        help_text="Not accepting now, but keeps a waitlist: about how many weeks it takes.",
    )
    weekday_daytime = models.BooleanField("weekday daytime hours", default=False)
    evenings = models.BooleanField("evening hours", default=False, help_text="Sessions on weekday evenings.")
    weekends = models.BooleanField("weekend hours", default=False)
    last_verified = models.DateField(
        null=True, blank=True, help_text="When staff last checked the whole profile."
    )
    needs_reverification = models.BooleanField(
        default=False, help_text="Set when someone reports a problem with the listing."
    )

    standard_fee = _fee_field("standard session fee")
    sliding_scale_min = _fee_field("sliding-scale minimum")
    sliding_scale_max = _fee_field("sliding-scale maximum")
    free_consultation = models.BooleanField("free first consultation", default=False)
    telehealth = models.BooleanField("offers telehealth", default=False)

    modalities = models.ManyToManyField(Modality, blank=True, related_name="providers")
    conditions = models.ManyToManyField(Condition, blank=True, related_name="providers")
    formats = models.ManyToManyField(SessionFormat, blank=True, related_name="providers")
    age_groups = models.ManyToManyField(AgeGroup, blank=True, related_name="providers")
    languages = models.ManyToManyField(Language, blank=True, related_name="providers")
    insurance = models.ManyToManyField(InsurancePlan, blank=True, related_name="providers")

    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # Kept current by directory.search on PostgreSQL; unused elsewhere.
    search_vector = SearchVectorField(null=True, editable=False, serialize=False)

    objects = ProviderManager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="provider_unique_external_id",
                violation_error_message="Another provider already has this external ID.",
            ),
            models.UniqueConstraint(
                fields=["npi"], condition=~Q(npi=""), name="provider_unique_npi",
                violation_error_message="Another provider already has this NPI.",
            ),
            models.CheckConstraint(
                condition=~Q(name=""), name="provider_name_required",
                violation_error_message="A provider needs a name.",
            ),
            models.CheckConstraint(
                condition=Q(accepting_new_clients=False) | Q(waitlist_weeks__isnull=True),
                name="provider_waitlist_only_when_not_accepting",
                violation_error_message="A provider who is accepting new clients has no waitlist: clear one of them.",
            ),
            models.CheckConstraint(
                condition=Q(standard_fee__isnull=True) | Q(standard_fee__gte=0),
                name="provider_standard_fee_not_negative",
                violation_error_message="The standard fee cannot be negative.",
            ),
            models.CheckConstraint(
                condition=(Q(sliding_scale_min__isnull=True) | Q(sliding_scale_min__gte=0))
                & (Q(sliding_scale_max__isnull=True) | Q(sliding_scale_max__gte=0)),
                name="provider_sliding_scale_not_negative",
                violation_error_message="Sliding-scale fees cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(sliding_scale_min__isnull=True, sliding_scale_max__isnull=True)
                | Q(sliding_scale_min__isnull=False, sliding_scale_max__isnull=False),
                name="provider_sliding_scale_complete",
                violation_error_message="Give both the sliding-scale minimum and maximum, or neither.",
            ),
            models.CheckConstraint(
                condition=Q(sliding_scale_min__isnull=True)
                | Q(sliding_scale_max__isnull=True)
                | Q(sliding_scale_min__lte=models.F("sliding_scale_max")),
                name="provider_sliding_scale_ordered",
                violation_error_message="The sliding-scale minimum cannot be above the maximum.",
            ),
        ]
        indexes = [
            models.Index(fields=["published", "name"], name="provider_published_name"),
            models.Index(fields=["last_verified"], name="provider_last_verified"),
            # The default order of the search and its deep pages: an index-only walk over published names.
            models.Index(fields=["name", "id"], condition=Q(published=True), name="provider_published_by_name"),
            # The search's default order without a query: confirmed listings first, then by name.
            models.Index(fields=["unconfirmed_registry_listing", "name", "id"], condition=Q(published=True),
                         name="provider_published_default"),
            # The providers whose accepting status lapses overnight (accepting_lapsing_between()).
            models.Index(fields=["accepting_confirmed"], condition=Q(accepting_new_clients=True),
                         name="provider_accepting_confirmed"),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def get_absolute_url(self) -> str:
        return reverse("provider_detail", args=[self.slug])

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = self.unique_slug()
        replaced = self._replaced_photo(kwargs.get("update_fields"))
        super().save(*args, **kwargs)
        remove_after_commit(self.photo.storage, replaced)

    def _replaced_photo(self, update_fields) -> str:
        """The stored photo file this save replaces or clears, if any ("" when none)."""
        if self.pk is None or "photo" in self.get_deferred_fields():
            return ""
        if update_fields is not None and "photo" not in update_fields:
            return ""
        stored = Provider.objects.filter(pk=self.pk).values_list("photo", flat=True).first() or ""
        return stored if stored != self.photo.name else ""

    def confirmed_by_provider(self) -> None:
        """The provider confirmed the listing (their claim approved, or an answer about availability): a basic
        listing from the NPI registry no longer ranks below the others."""
        if self.provider_confirmed is None:
            self.provider_confirmed = timezone.localdate()
            self.save(update_fields=["provider_confirmed", "updated"])

    @property
    def photo_alt_text(self) -> str:
        """The photo's description for people who cannot see it: as staff wrote it, else "Photo of <name>"."""
        return self.photo_alt.strip() or f"Photo of {self.name}"

    def unique_slug(self) -> str:
        base = slug_base(self.name)
        taken = set(Provider.objects.exclude(pk=self.pk).filter(slug__startswith=base).values_list("slug", flat=True))
        return unique_slug(self.name, taken)

    @property
    def has_sliding_scale(self) -> bool:
        return self.sliding_scale_min is not None

    @property
    def lowest_fee(self) -> Decimal | None:
        """The lowest possible session fee: the sliding-scale floor, else the standard fee."""
        if self.sliding_scale_min is not None:
            return self.sliding_scale_min
        return self.standard_fee

    @lowest_fee.setter
    def lowest_fee(self, value: Decimal | None) -> None:
        # ProviderQuerySet.with_lowest_fee() annotates the same value, computed by the database from the
        # same two fields; those fields stay the only source, so the annotated copy is not kept.
        pass

    @property
    def is_stale(self) -> bool:
        return self.last_verified is None or (timezone.localdate() - self.last_verified).days > STALE_AFTER_DAYS

    # Accepting status confirmed recently, within the freshness the directory promises
    # (settings.AVAILABILITY_STALE_DAYS): the same rule for a loaded provider and in SQL.
    @property
    def public_email(self) -> str:
        """The email address people may see: only when the provider chose to show it."""
        return self.email if self.email_public else ""

    @property
    def availability_recent(self) -> bool:
        return self.accepting_confirmed is not None and self.accepting_confirmed >= availability_cutoff()

    @property
    def availability(self) -> Availability:
        """Unknown when not confirmed within settings.AVAILABILITY_UNKNOWN_DAYS: the same rule as
        ProviderQuerySet.accepting()."""
        known_since = availability_cutoff(settings.AVAILABILITY_UNKNOWN_DAYS)
        if self.accepting_confirmed is None or self.accepting_confirmed < known_since:
            return Availability.UNKNOWN
        if self.accepting_new_clients:
            return Availability.ACCEPTING
        return Availability.WAITLIST if self.waitlist_weeks else Availability.NOT_ACCEPTING

    @property
    def availability_text(self) -> str:
        """"Accepting new clients, next opening December 12", "Waitlist, about 4 weeks", ..."""
        availability = self.availability
        if availability == Availability.ACCEPTING and self.next_opening and self.next_opening > timezone.localdate():
            return f"Accepting new clients, next opening {self.next_opening:%B %-d}"
        if availability == Availability.WAITLIST:
            return f"Waitlist, about {self.waitlist_weeks} week{'s' if self.waitlist_weeks != 1 else ''}"
        return availability.label

    @property
    def hours(self) -> list[str]:
        """When the provider sees clients, in words."""
        return [words for offered, words in ((self.weekday_daytime, "weekday daytime"), (self.evenings, "evenings"),
                                             (self.weekends, "weekends")) if offered]

    @staticmethod
    def availability_recent_q() -> Q:
        return Q(accepting_confirmed__gte=availability_cutoff())

    # The properties below read the (prefetched) licenses and offices, so a page of cards costs no extra query.

    @property
    def current_licenses(self) -> list[License]:
        """The licenses that have not expired: only they let the provider practise (and count anywhere)."""
        return [license for license in self.licenses.all() if not license.is_expired]

    @property
    def can_prescribe(self) -> bool:
        return any(license.credential_type.can_prescribe for license in self.current_licenses)

    @property
    def licensed_states(self) -> list[str]:
        """Sorted codes of the jurisdictions the provider holds a license in."""
        return sorted({license.jurisdiction for license in self.current_licenses})

    @property
    def licensed_state_names(self) -> list[str]:
        """Full names of the licensed jurisdictions, in the order of their codes."""
        return [JURISDICTIONS.get(code, code) for code in self.licensed_states]

    @property
    def credential_codes(self) -> list[str]:
        """Distinct credential codes (LCSW, MD, ...) in the taxonomy's order."""
        codes: list[str] = []
        for license in self.current_licenses:
            if license.credential_type.code not in codes:
                codes.append(license.credential_type.code)
        return codes

    @property
    def credential_names(self) -> list[str]:
        """Distinct credential names (Clinical social worker, ...) in the taxonomy's order."""
        names: list[str] = []
        for license in self.current_licenses:
            if license.credential_type.name not in names:
                names.append(license.credential_type.name)
        return names

    @property
    def is_in_person(self) -> bool:
        return bool(self.offices.all())

    @property
    def standard_fee_text(self) -> str:
        return money(self.standard_fee)

    @property
    def sliding_scale_text(self) -> str:
        """"$40–$120", or "" without a sliding scale."""
        if not self.has_sliding_scale:
            return ""
        return f"{money(self.sliding_scale_min)}–{money(self.sliding_scale_max)}"

    @property
    def fee_summary(self) -> str:
        """One line for a card: "$140 a session, $40–$120 sliding scale, free consultation"."""
        parts = []
        if self.standard_fee is not None:
            parts.append(f"{self.standard_fee_text} a session")
        if self.has_sliding_scale:
            parts.append(f"{self.sliding_scale_text} sliding scale")
        if not parts:
            parts.append("Fee not listed")
        if self.free_consultation:
            parts.append("free consultation")
        return ", ".join(parts)


def money(amount: Decimal | None) -> str:
    """$40 for whole amounts, $42.50 otherwise."""
    if amount is None:
        return ""
    if amount == amount.to_integral_value():
        return f"${int(amount):,}"
    return f"${amount:,.2f}"


jurisdiction_field_kwargs = {"max_length": 2, "choices": JURISDICTION_CHOICES}
_known_jurisdictions = list(JURISDICTIONS)


class LicenseQuerySet(models.QuerySet):
    def current(self) -> LicenseQuerySet:
        """Licenses that have not expired: an expired license never counts (License.is_expired, the same rule)."""
        return self.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=timezone.localdate()))

    def expiring_between(self, first: datetime.date, second: datetime.date) -> LicenseQuerySet:
        """Licenses current() on one of these days and expired on the other."""
        earlier, later = sorted((first, second))
        return self.filter(expires_on__gte=earlier, expires_on__lt=later)

    def update(self, **kwargs) -> int:
        """QuerySet.update(), under License's verification rule: a row whose provider, credential, jurisdiction
        or number this changes loses its verification, unless the update sets the verification itself."""
        fields = {name: self.model._meta.get_field(name) for name in kwargs if name != "pk"}
        moved = {name: value for name, value in kwargs.items()
                 if name in fields and fields[name].attname in License.VERIFIED_FOR}
        sets_verification = any(field.name in ("verified_on", "verified_by") for field in fields.values())
        if moved and not sets_verification:
            unchanged = Q(**moved)
            for name in ("verified_on", "verified_by"):
                kwargs[name] = Case(When(unchanged, then=F(name)), default=Value(None),
                                    output_field=self.model._meta.get_field(name))
        return super().update(**kwargs)


class LicenseManager(models.Manager.from_queryset(LicenseQuerySet)):
    def get_by_natural_key(self, code: str, jurisdiction: str, number: str) -> License:
        return self.get(credential_type__code=code.upper(), jurisdiction=jurisdiction, number=number)


class License(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="licenses")
    credential_type = models.ForeignKey(CredentialType, on_delete=models.PROTECT, related_name="licenses")
    jurisdiction = models.CharField(**jurisdiction_field_kwargs)
    number = models.CharField(
        "license number",
        max_length=60,
        # The CSV format writes a license as CODE:STATE:NUMBER, several separated by ";".
        validators=[RegexValidator(r"^[^:;]+$", "A license number cannot contain : or ;.")],
    )
    verified_on = models.DateField(
        null=True, blank=True, help_text="When staff checked this license with the licensing board."
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_on = models.DateField(null=True, blank=True)
    from_registry = models.BooleanField(
        "from the NPI registry", default=False, editable=False,
        help_text="Written by the NPI registry import, which changes and removes only the licenses it wrote.",
    )

    objects = LicenseManager()

    # What staff check with the licensing board, and so what a verification is for: whoever changes any of
    # these, by whatever path, leaves the license unverified until a verifier checks it again. save() and
    # LicenseQuerySet.update() hold to this, and directory.writing for the imports' bulk writes.
    VERIFIED_FOR = ("provider_id", "credential_type_id", "jurisdiction", "number")

    # The license as a verifier checked it in this save (record_verifier()), so the save keeps the verification.
    _checked_as: tuple | None = None

    class Meta:
        ordering = ["credential_type__position", "jurisdiction", "number"]
        permissions = [("verify_license", "Can mark a license verified")]
        constraints = [
            models.UniqueConstraint(
                fields=["credential_type", "jurisdiction", "number"],
                name="license_unique_number",
                violation_error_message="This license (credential, jurisdiction and number) is already listed.",
            ),
            models.CheckConstraint(
                condition=~Q(number=""), name="license_number_required",
                violation_error_message="Give the license number.",
            ),
            models.CheckConstraint(
                condition=Q(jurisdiction__in=_known_jurisdictions),
                name="license_jurisdiction_known",
                violation_error_message="Choose a US state or Canadian province.",
            ),
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | Q(verified_on__isnull=False),
                name="license_verifier_has_date",
                violation_error_message="A verified license needs the date it was verified.",
            ),
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "provider"], name="license_jurisdiction_provider"),
            # "A license verified since ..." for each of the fit finder's candidates, read from the index alone.
            models.Index(fields=["provider", "verified_on"], name="license_provider_verified"),
            # The licenses that expire overnight (expiring_between()), which the facet index then drops.
            models.Index(fields=["expires_on"], condition=Q(expires_on__isnull=False), name="license_expires_on"),
        ]

    def __str__(self) -> str:
        return f"{self.credential_type.code} {self.jurisdiction} {self.number}"

    def natural_key(self) -> tuple[str, str, str]:
        return (self.credential_type.code, self.jurisdiction, self.number)

    natural_key.dependencies = ["directory.credentialtype", "directory.provider"]

    @property
    def verified(self) -> bool:
        return self.verified_on is not None

    @property
    def checked_as(self) -> tuple:
        """The provider, credential, jurisdiction and number: what a verification of this license is for."""
        return tuple(getattr(self, name) for name in self.VERIFIED_FOR)

    def record_verifier(self, user) -> None:
        """A verifier checked the license as it now reads, on verified_on: it stays verified when saved."""
        self.verified_by = user
        self._checked_as = self.checked_as

    def forget_verification_unless_checked_as(self, checked_as: tuple | None) -> bool:
        """Clear the verification when it was for another provider, credential, jurisdiction or number than the
        license now has (checked_as: what the stored row holds; None for a license never stored). True when
        that cleared one."""
        if not self.verified or checked_as is None or self.checked_as in (checked_as, self._checked_as):
            return False
        self.verified_on = self.verified_by = None
        return True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and self.verified and self._checked_as != self.checked_as:
            stored = License.objects.filter(pk=self.pk).values_list(*self.VERIFIED_FOR).first()
            update_fields = kwargs.get("update_fields")
            if self.forget_verification_unless_checked_as(stored) and update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "verified_on", "verified_by"}
        super().save(*args, **kwargs)
        self._checked_as = None

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()


class OfficeManager(models.Manager):
    def get_by_natural_key(self, provider_slug: str, address: str, postal_code: str) -> Office:
        return self.get(provider__slug=provider_slug, address=address, postal_code=postal_code)


class Office(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="offices")
    address = models.CharField("street address", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    jurisdiction = models.CharField("state or province", **jurisdiction_field_kwargs)
    postal_code = models.CharField(max_length=10, blank=True)
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text="Filled from the postal code when empty.",
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    wheelchair_accessible = models.BooleanField(default=False)
    from_registry = models.BooleanField(
        "from the NPI registry", default=False, editable=False,
        help_text="The practice location the NPI registry import wrote, which it changes and removes alone.",
    )

    objects = OfficeManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(jurisdiction__in=_known_jurisdictions),
                name="office_jurisdiction_known",
                violation_error_message="Choose a US state or Canadian province.",
            ),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90))
                & (Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180)),
                name="office_coordinates_on_earth",
                violation_error_message="Latitude is -90 to 90 and longitude -180 to 180.",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="office_coordinates_complete",
                violation_error_message="Give both latitude and longitude, or neither.",
            ),
        ]
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="office_coordinates"),
            models.Index(fields=["jurisdiction", "provider"], name="office_jurisdiction_provider"),
        ]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.address, self.city, self.jurisdiction, self.postal_code) if part)

    def natural_key(self) -> tuple[str, str, str]:
        return (self.provider.slug, self.address, self.postal_code)

    natural_key.dependencies = ["directory.provider"]

    def fill_coordinates(self) -> None:
        """Take the postal code's centre when no coordinates were entered."""
        if self.latitude is None and self.longitude is None and self.postal_code:
            centre = geo.zip_centre(self.postal_code)
            if centre:
                self.latitude, self.longitude = centre

    def save(self, *args, **kwargs) -> None:
        self.fill_coordinates()
        super().save(*args, **kwargs)


class ProviderChange(models.Model):
    """A provider whose searchable facts changed (its row, terms, licenses or offices): every process's facet
    index reads the changes after the last one it applied, and re-reads those providers only.

    Written in the transaction that makes the change (directory.search.changes), so a change is logged if and only
    if it commits. provider_id is no foreign key: a deleted provider's change is kept.
    """

    id = models.BigAutoField(primary_key=True)
    provider_id = models.BigIntegerField()
    # PostgreSQL's id of the transaction that logged it, which orders changes as they commit (ids do not).
    transaction = models.BigIntegerField(null=True, editable=False)
    created = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [
            models.Index(fields=["transaction"], name="providerchange_transaction"),
            models.Index(fields=["created"], name="providerchange_created"),
        ]

    def __str__(self) -> str:
        return f"provider {self.provider_id} changed"


# --- Resources and reports --------------------------------------------------------------


class ResourceQuerySet(models.QuerySet):
    def crisis(self) -> ResourceQuerySet:
        return self.filter(is_crisis=True)

    def support(self) -> ResourceQuerySet:
        return self.filter(is_crisis=False)


class ResourceManager(NaturalKeyManager.from_queryset(ResourceQuerySet)):
    pass


class Resource(models.Model):
    """A crisis line or support organization. A phone number is given only where it is certain."""

    key_field = "slug"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    text_number = models.CharField("text number", max_length=40, blank=True)
    url = models.URLField("website", blank=True)
    region = models.CharField(max_length=100, blank=True, help_text="Where it serves, e.g. United States.")
    description = models.TextField(blank=True)
    is_crisis = models.BooleanField("crisis line", default=False)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ResourceManager()

    class Meta:
        ordering = ["-is_crisis", "position", "name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    @property
    def tel(self) -> str:
        """The phone number as dialable digits for a tel: link."""
        return "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")


class Report(models.Model):
    """A member of the public's report of a problem with a listing, for staff to review."""

    class Reason(models.TextChoices):
        UNREACHABLE = "unreachable", "Could not reach them"
        NOT_ACCEPTING = "not-accepting", "Not accepting new clients"
        WRONG_FEE = "wrong-fee", "Wrong fee or insurance"
        OTHER = "other", "Something else"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(blank=True, max_length=1000)
    created = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)
    confirmed = models.BooleanField(
        "confirmed by staff", default=False,
        help_text="Staff checked the report and found it right; the provider then sees it on their dashboard.",
    )

    class Meta:
        ordering = ["resolved", "-created"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.provider}"


class TextIndexEntry(models.Model):
    """The providers whose stored search vector holds a word (lexeme) with a weight, as a serialized roaring
    bitmap: directory.search.text_index, rebuilt from the vectors by `manage.py rebuild_text_index`."""

    lexeme = models.TextField()
    weight = models.CharField(max_length=1)
    providers = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lexeme", "weight"], name="textindexentry_unique_word")]

    def __str__(self) -> str:
        return f"{self.lexeme}:{self.weight}"


class TextIndexChange(models.Model):
    """A provider whose search text changed since the text index was built: searches read it from its row."""

    provider_id = models.BigIntegerField(primary_key=True)

    def __str__(self) -> str:
        return str(self.provider_id)
