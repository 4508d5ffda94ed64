"""Free-text provider search. The only module that knows which database it runs on.

PostgreSQL: a stored, weighted search vector (name and practice A, modality and condition names B,
bio C) with a GIN index, ranked, plus trigram similarity on names so small typos still find a person;
names match with or without their accents.
SQLite: every word must appear, case-insensitively (ASCII only), in one of the same fields; no ranking.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, models
from django.db.models import Exists, F, FloatField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

SEARCH_CONFIG = "english"
MAX_QUERY_LENGTH = 200


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def clean_query(text: str | None) -> str:
    """The query as searched: surrounding and repeated whitespace removed, bounded in length."""
    return " ".join((text or "").split())[:MAX_QUERY_LENGTH]


def matching(queryset: models.QuerySet, text: str | None) -> models.QuerySet:
    """Providers matching text, annotated with `rank` (higher is better); blank text is a no-op."""
    text = clean_query(text)
    if not text:
        return queryset
    if uses_postgres():
        return _postgres_matching(queryset, text)
    return _plain_matching(queryset, text)


def _postgres_matching(queryset: models.QuerySet, text: str) -> models.QuerySet:
    from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity

    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    return (
        queryset.annotate(
            text_rank=SearchRank(F("search_vector"), query),
            name_similarity=Greatest(
                TrigramWordSimilarity(Value(text), "name"),
                TrigramWordSimilarity(Value(text), "practice_name"),
            ),
        )
        # The %> operator behind trigram_word_similar can use the trigram indexes; its threshold is
        # pg_trgm.word_similarity_threshold (0.6 unless the server changes it).
        .filter(
            Q(search_vector=query)
            | Q(name__trigram_word_similar=text)
            | Q(practice_name__trigram_word_similar=text)
        )
        .annotate(rank=Coalesce(F("text_rank"), 0.0, output_field=FloatField()) + F("name_similarity"))
    )


def _plain_matching(queryset: models.QuerySet, text: str) -> models.QuerySet:
    from .models import Condition, Modality, Provider

    for word in text.split():
        modality = Modality.objects.filter(
            Q(name__icontains=word) | Q(aliases__icontains=word) | Q(slug__iexact=word),
            pk__in=Provider.modalities.through.objects.filter(provider=OuterRef(OuterRef("pk"))).values(
                "modality"
            ),
        )
        condition = Condition.objects.filter(
            Q(name__icontains=word) | Q(aliases__icontains=word) | Q(slug__iexact=word),
            pk__in=Provider.conditions.through.objects.filter(provider=OuterRef(OuterRef("pk"))).values(
                "condition"
            ),
        )
        queryset = queryset.filter(
            Q(name__icontains=word)
            | Q(practice_name__icontains=word)
            | Q(bio__icontains=word)
            | Exists(modality)
            | Exists(condition)
        )
    return queryset.annotate(rank=Value(0.0, output_field=FloatField()))


# --- Keeping the stored vector in step --------------------------------------------------


def refresh_search_vectors(provider_ids: Iterable[int] | None = None) -> None:
    """Recompute the stored search vector of these providers (all of them when None).

    Runs in one UPDATE; a no-op where the database has no full-text search.
    """
    if not uses_postgres():
        return
    from django.contrib.postgres.aggregates import StringAgg
    from django.contrib.postgres.search import SearchVector

    from .models import Condition, Modality, Provider

    def names(model: type[models.Model]) -> Subquery:
        terms = (
            model.objects.filter(providers=OuterRef("pk"))
            .order_by()
            .values("providers")
            .annotate(
                text=StringAgg(
                    models.functions.Concat("name", Value(" "), "aliases", output_field=models.TextField()), " "
                )
            )
            .values("text")
        )
        return Subquery(terms, output_field=models.TextField())

    providers = Provider.objects.all()
    if provider_ids is not None:
        providers = providers.filter(pk__in=list(provider_ids))
    def unaccented(field: str) -> models.Func:
        return models.Func(F(field), function="unaccent", output_field=models.TextField())

    # Names go in twice, as written and without accents, so that "Diaz" finds "Díaz" and "Díaz" still does.
    providers.update(
        search_vector=SearchVector(
            "name", "practice_name", unaccented("name"), unaccented("practice_name"), weight="A", config=SEARCH_CONFIG
        )
        + SearchVector(names(Modality), names(Condition), weight="B", config=SEARCH_CONFIG)
        + SearchVector("bio", weight="C", config=SEARCH_CONFIG)
    )


def _provider_saved(sender, instance, raw=False, **kwargs) -> None:
    refresh_search_vectors([instance.pk])


def _provider_terms_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        refresh_search_vectors([instance.pk])
    elif pk_set:
        refresh_search_vectors(pk_set)
    else:
        # A term cleared of all its providers: they are no longer known here, so refresh every one.
        refresh_search_vectors()


def _term_saved(sender, instance, raw=False, created=False, **kwargs) -> None:
    if not created:
        refresh_search_vectors(instance.providers.values_list("pk", flat=True))


def connect_signals() -> None:
    """Keep vectors current when a provider, its approaches or conditions, or a term's name change."""
    from django.db.models.signals import m2m_changed, post_save

    from .models import Condition, Modality, Provider

    post_save.connect(_provider_saved, sender=Provider, dispatch_uid="search_provider_saved")
    for relation, term in ((Provider.modalities, Modality), (Provider.conditions, Condition)):
        m2m_changed.connect(
            _provider_terms_changed, sender=relation.through, dispatch_uid=f"search_{term.__name__}_changed"
        )
        post_save.connect(_term_saved, sender=term, dispatch_uid=f"search_{term.__name__}_saved")
