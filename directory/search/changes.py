"""The change log: which providers changed, in the order their transactions commit, for the facet index.

Every write that changes what the facet index holds of a provider (its row, terms, licenses, offices, or a term
or credential it holds) logs the provider (ProviderChange) in the transaction that makes the change: the ORM
signals (connect_signals) and the bulk writer (directory.writing, which calls log()). Each process then asks,
with one indexed query, for the changes after the last ones it applied (since()), and re-reads those providers.

Ids are handed out when a row is inserted, not when its transaction commits: a process that has read id 11 may
yet see id 10 commit. So on PostgreSQL a Mark holds the oldest transaction still running when it was taken
(pg_snapshot_xmin): the changes of every older transaction were visible by then, and those of that transaction
or later ones are asked for again next time, the ones already applied skipped by id. SQLite runs one writer at a
time, so its ids commit in order and a Mark is the last id read.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from ..models import CredentialType, License, Office, Provider, ProviderChange
from ..taxonomy import KINDS

# Changes are kept this long, then pruned (prune()); a process whose mark is older than half of it starts
# from a newer copy of the index instead.
KEPT_DAYS = 7
CHUNK = 50_000


@dataclass(frozen=True)
class Mark:
    """How far the changes a copy of the index holds go."""

    position: int  # PostgreSQL: the oldest transaction running when taken; elsewhere: the last change id read
    applied: frozenset[int] = frozenset()  # PostgreSQL: changes of that transaction or later, already applied
    taken: float = field(default_factory=time.time)

    @property
    def too_old(self) -> bool:
        """Changes after it may have been pruned."""
        return time.time() - self.taken > KEPT_DAYS * 86_400 / 2

    def is_after(self, other: Mark) -> bool:
        """A copy under this mark holds every change one under other holds. (With the same position either is
        safe to take: the changes from that position on are read again, less those applied.)"""
        return self.position > other.position or (self.position == other.position and self.taken > other.taken)


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


_TABLE = connection.ops.quote_name(ProviderChange._meta.db_table)
_TXN = connection.ops.quote_name("transaction")
_TRANSACTION = "pg_current_xact_id()::text::bigint"  # this transaction's id, as a number
_OLDEST_RUNNING = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


def mark_now() -> Mark:
    """A mark for a copy of the index about to be read: every change it could miss comes after it."""
    with connection.cursor() as cursor:
        if _postgresql():
            cursor.execute(f"SELECT {_OLDEST_RUNNING}")
        else:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {_TABLE}")
        return Mark(cursor.fetchone()[0])


def since(mark: Mark, limit: int) -> tuple[set[int], Mark] | None:
    """The providers changed after mark, and the mark that follows them; None when more than limit changes (or
    changes that may have been pruned) wait: a newer copy of the whole index is then quicker."""
    if mark.too_old:
        return None
    with connection.cursor() as cursor:
        if _postgresql():
            # One statement, so one snapshot: the oldest transaction running, and what had committed before it.
            cursor.execute(
                f"SELECT {_OLDEST_RUNNING}, c.id, c.provider_id, c.{_TXN} FROM (SELECT 1) AS one "
                f"LEFT JOIN (SELECT id, provider_id, {_TXN} FROM {_TABLE} WHERE {_TXN} >= %s "
                f"ORDER BY id LIMIT %s) AS c ON true",
                [mark.position, limit + 1],
            )
            rows = cursor.fetchall()
            oldest = rows[0][0]
            rows = [row[1:] for row in rows if row[1] is not None]
            if len(rows) > limit:
                return None
            changed = {provider for id_, provider, _ in rows if id_ not in mark.applied}
            applied = frozenset(id_ for id_, _, txn in rows if txn >= oldest)
            return changed, Mark(oldest, applied)
        cursor.execute(f"SELECT id, provider_id FROM {_TABLE} WHERE id > %s ORDER BY id LIMIT %s",
                       [mark.position, limit + 1])
        rows = cursor.fetchall()
    if len(rows) > limit:
        return None
    return {provider for _, provider in rows}, Mark(rows[-1][0] if rows else mark.position)


def log(providers: Iterable[int]) -> None:
    """Log these providers as changed, in the current transaction."""
    providers = sorted(set(providers))
    if not providers:
        return
    with connection.cursor() as cursor:
        for start in range(0, len(providers), CHUNK):
            chunk = providers[start : start + CHUNK]
            if _postgresql():
                cursor.execute(f"INSERT INTO {_TABLE} (provider_id, {_TXN}) "
                               f"SELECT unnest(%s::bigint[]), {_TRANSACTION}", [chunk])
            else:
                ProviderChange.objects.bulk_create([ProviderChange(provider_id=pk) for pk in chunk], batch_size=500)
    _changed_here()


def log_query(providers: QuerySet) -> None:
    """Log the providers a query gives (a values_list of one provider id column), in one statement."""
    sql, params = providers.order_by().query.sql_with_params()
    txn = _TRANSACTION if _postgresql() else "NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_TABLE} (provider_id, {_TXN}) SELECT changed.*, {txn} FROM ({sql}) AS changed",
                       params)
    _changed_here()


def prune(days: int = KEPT_DAYS) -> int:
    """Delete the changes older than days; how many."""
    before = timezone.now() - datetime.timedelta(days=days)
    return ProviderChange.objects.filter(created__lt=before).delete()[0]


# Told when this process logs a change, and again once it commits (the facet index then looks at the log again).
_listeners: list = []


def on_change_here(listener) -> None:
    _listeners.append(listener)


def _changed_here() -> None:
    for listener in _listeners:
        listener()
        transaction.on_commit(listener)


# --- The ORM's signals -------------------------------------------------------------------


def _provider_changed(sender, instance, **kwargs) -> None:
    log([instance.pk])


def _holder_changed(sender, instance, **kwargs) -> None:
    log([instance.provider_id, *getattr(instance, "_moved_from", ())])


def _holder_moving(sender, instance, raw=False, **kwargs) -> None:
    """A license or office about to be saved: the provider it belonged to changes too, if it moves (logged with
    the save, after it: a change logged before it commits could be read before it)."""
    if instance.pk is not None:
        instance._moved_from = list(sender.objects.filter(pk=instance.pk).exclude(provider_id=instance.provider_id)
                                    .values_list("provider_id", flat=True))


def _links_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not reverse:  # provider.modalities.add(...): the provider changed
        if action in ("post_add", "post_remove", "post_clear"):
            log([instance.pk])
        return
    # term.providers.add(...): the providers named, or all of the term's before a clear
    if action in ("post_add", "post_remove"):
        log(pk_set or ())
    elif action == "pre_clear":
        log_query(_holders(type(instance), instance.pk))


def _holders(model, pk: int) -> QuerySet:
    """The providers holding a term (or a credential, through their licenses)."""
    if model is CredentialType:
        return License.objects.filter(credential_type_id=pk).values_list("provider_id")
    kind = next(kind for kind in KINDS if kind.model is model)
    field_ = Provider._meta.get_field(kind.relation)
    return field_.remote_field.through.objects.filter(**{f"{field_.m2m_reverse_field_name()}_id": pk}).values_list(
        f"{field_.m2m_field_name()}_id"
    )


def _term_changed(sender, instance, created=False, **kwargs) -> None:
    """A term saved or deleted (before its links go) counts as a change of its providers."""
    if not created:
        log_query(_holders(sender, instance.pk))


def connect_signals() -> None:
    """Log the providers each ORM write changes; bulk writers call log() themselves."""
    post_save.connect(_provider_changed, sender=Provider, dispatch_uid="changes-provider-save")
    post_delete.connect(_provider_changed, sender=Provider, dispatch_uid="changes-provider-delete")
    for model in (License, Office):
        pre_save.connect(_holder_moving, sender=model, dispatch_uid=f"changes-{model.__name__}-moving")
        post_save.connect(_holder_changed, sender=model, dispatch_uid=f"changes-{model.__name__}-save")
        post_delete.connect(_holder_changed, sender=model, dispatch_uid=f"changes-{model.__name__}-delete")
    for kind in KINDS:
        post_save.connect(_term_changed, sender=kind.model, dispatch_uid=f"changes-{kind.param}-save")
        pre_delete.connect(_term_changed, sender=kind.model, dispatch_uid=f"changes-{kind.param}-delete")
        if kind.relation:
            through = Provider._meta.get_field(kind.relation).remote_field.through
            m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"changes-{kind.relation}")
