"""Free-text provider search. With directory.search.query and text_index, the only modules that know which
database they run on.

PostgreSQL: a stored, weighted search vector (name and practice A, modality and condition names B,
bio C) with a GIN index, ranked by relevance (below); when the words match nobody, trigram similarity
on names, so a small typo still finds a person; names match with or without their accents. A search page
asks directory.search.text_index first, which answers the same from bitmaps of the same vectors.
SQLite: every word must appear, case-insensitively (ASCII only), in one of the same fields; no ranking.

Relevance (directory.search.query): the sum, over the words of the query, of the points of the best field
each is found in: name or practice 10, approach or concern 4, bio 2 (a word excluded with -word is in no
match, so adds nothing); ties by name.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, models
from django.db.models import Case, Exists, FloatField, OuterRef, Q, Value, When
from django.db.models.functions import Greatest
from django.db.models.signals import m2m_changed, post_save

from ..models import Condition, Modality, Provider
from .query import SEARCH_CONFIG, Relevance, uses_postgres
from .text_index import note_changes

__all__ = ["MAX_QUERY_LENGTH", "SEARCH_CONFIG", "clean_query", "matching", "refresh_search_vectors", "uses_postgres"]

MAX_QUERY_LENGTH = 200


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
    from django.contrib.postgres.search import SearchQuery, TrigramWordSimilarity

    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    # Names are compared by trigram only when the words themselves match nobody: that is what finds
    # "Okonkow" for Okonkwo, and it spares a broad query ("anxiety therapy", tens of thousands of
    # matches) a similarity computation on every row. The subquery runs once, not per row.
    words_match_nobody = ~Exists(queryset.model.objects.filter(published=True, search_vector=query))
    name_similarity = Greatest(
        TrigramWordSimilarity(Value(text), "name"),
        TrigramWordSimilarity(Value(text), "practice_name"),
    )
    return queryset.filter(
        Q(search_vector=query)
        # The %> operator behind trigram_word_similar can use the trigram indexes; its threshold is
        # pg_trgm.word_similarity_threshold (0.6 unless the server changes it).
        | (words_match_nobody & (Q(name__trigram_word_similar=text) | Q(practice_name__trigram_word_similar=text)))
    ).annotate(
        rank=Case(
            When(search_vector=query, then=Relevance(text)),
            default=name_similarity,
            output_field=FloatField(),
        )
    )


def _plain_matching(queryset: models.QuerySet, text: str) -> models.QuerySet:
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


REFRESH_CHUNK = 5000


def refresh_search_vectors(provider_ids: Iterable[int] | None = None) -> None:
    """Recompute the stored search vector of these providers (all of them when None).

    One set-based UPDATE per chunk of providers, the approach and concern names gathered by one GROUP BY
    each, rather than a subquery per row; a no-op where the database has no full-text search.
    """
    if not uses_postgres():
        return
    if provider_ids is None:
        ids = list(Provider.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted({int(pk) for pk in provider_ids})
    with connection.cursor() as cursor:
        for start in range(0, len(ids), REFRESH_CHUNK):
            note_changes(cursor, ids[start:start + REFRESH_CHUNK])
            cursor.execute(_refresh_sql(), {"ids": ids[start:start + REFRESH_CHUNK], "config": SEARCH_CONFIG})


def _term_names_sql(relation: str) -> str:
    """provider_id and the names and aliases of its terms of one relation, for the providers in %(ids)s."""
    quote = connection.ops.quote_name
    field = Provider._meta.get_field(relation)
    through = field.remote_field.through._meta
    term = field.related_model._meta
    provider_column = through.get_field(field.m2m_field_name()).column
    term_column = through.get_field(field.m2m_reverse_field_name()).column
    return (
        f"SELECT link.{quote(provider_column)} AS provider_id,"
        f" string_agg(concat(term.name, ' ', term.aliases), ' ') AS names"
        f" FROM {quote(through.db_table)} link"
        f" JOIN {quote(term.db_table)} term ON term.{quote(term.pk.column)} = link.{quote(term_column)}"
        f" WHERE link.{quote(provider_column)} = ANY(%(ids)s)"
        f" GROUP BY link.{quote(provider_column)}"
    )


def search_vector_select(source: str, columns: str = "p.id") -> str:
    """SQL selecting columns (of p, a row of source) and `search_vector`, computed for each row of source: a
    table or subquery with the provider columns, all of ids %(ids)s, whose approach and concern links are
    already written. The one declaration of what a provider's search vector holds."""

    def vector(text: str, weight: str) -> str:
        return f"setweight(to_tsvector(%(config)s::regconfig, {text}), '{weight}')"

    # Names go in twice, as written and without accents, so that "Diaz" finds "Díaz" and "Díaz" still does.
    names = (
        "coalesce(p.name, '') || ' ' || coalesce(p.practice_name, '') || ' '"
        " || coalesce(unaccent(p.name), '') || ' ' || coalesce(unaccent(p.practice_name), '')"
    )
    terms = "coalesce(m.names, '') || ' ' || coalesce(c.names, '')"
    bio = "coalesce(p.bio, '')"
    return (
        f"SELECT {columns}, {vector(names, 'A')} || {vector(terms, 'B')} || {vector(bio, 'C')} AS search_vector"
        f" FROM {source} AS p"
        f" LEFT JOIN ({_term_names_sql('modalities')}) m ON m.provider_id = p.id"
        f" LEFT JOIN ({_term_names_sql('conditions')}) c ON c.provider_id = p.id"
    )


def _refresh_sql() -> str:
    table = connection.ops.quote_name(Provider._meta.db_table)
    chosen = f"(SELECT * FROM {table} WHERE id = ANY(%(ids)s))"
    return (
        f"UPDATE {table} AS p SET search_vector = fresh.search_vector"
        f" FROM ({search_vector_select(chosen)}) AS fresh WHERE p.id = fresh.id"
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
    post_save.connect(_provider_saved, sender=Provider, dispatch_uid="search_provider_saved")
    for relation, term in ((Provider.modalities, Modality), (Provider.conditions, Condition)):
        m2m_changed.connect(
            _provider_terms_changed, sender=relation.through, dispatch_uid=f"search_{term.__name__}_changed"
        )
        post_save.connect(_term_saved, sender=term, dispatch_uid=f"search_{term.__name__}_saved")
