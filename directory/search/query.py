"""A free-text query as PostgreSQL reads it, and the relevance rule, in SQL and over bitmaps side by side.

Relevance: the sum, over the words of the query (those not excluded with -word), of the points of the
best field each is found in (FIELD_POINTS: name or practice 10, approach or concern 4, bio 2); ties by
name. The SQL path (directory.search.text.matching) ranks with relevance(), the text index
(directory.search.text_index) with score_buckets(): the same order, which the tests hold together.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import BooleanField, Case, F, Func, IntegerField, Value, When
from django.db.models.functions import Cast
from pyroaring import BitMap

SEARCH_CONFIG = "english"


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


# The weight each field has in the stored vector (text._refresh_sql) and the points a word found there is worth,
# best first. Whole numbers, so that SQL and the bitmaps add them up alike.
FIELD_POINTS = (("A", 10), ("B", 4), ("C", 2), ("D", 1))


def relevance(words: Iterable[str]) -> models.Expression:
    """The rank of a provider for these query words (lexemes): each counts the points of its best field."""
    from django.contrib.postgres.search import SearchQueryField

    def holds(word: str, weight: str) -> Func:
        query = Cast(Value(tsquery_operand(word, weight)), SearchQueryField())
        return Func(F("search_vector"), query, arg_joiner=" @@ ", template="(%(expressions)s)",
                    output_field=BooleanField())

    points = [
        Case(*(When(holds(word, weight), then=Value(n)) for weight, n in FIELD_POINTS), default=Value(0),
             output_field=IntegerField())
        for word in sorted(words)
    ]
    return functools.reduce(operator.add, points) if points else Value(0, output_field=IntegerField())


def tsquery_operand(word: str, weight: str = "") -> str:
    """A lexeme as a tsquery operand, exactly as PostgreSQL stemmed it (no dictionary runs again)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'" + (f":{weight}" if weight else "")


@dataclass(frozen=True)
class ParsedQuery:
    """A free-text query as PostgreSQL reads it (websearch_to_tsquery): a tree of ("word", lexeme),
    ("not", node), ("and", nodes), ("or", nodes) and ("phrase", nodes); None when no word is left."""

    tree: tuple | None

    @property
    def words(self) -> set[str]:
        """Every lexeme of the query."""
        return set(_words(self.tree, scored_only=False))

    @property
    def scored(self) -> set[str]:
        """The lexemes that count for relevance: those not excluded (-word)."""
        return set(_words(self.tree, scored_only=True))

    @property
    def has_phrase(self) -> bool:
        return _has_phrase(self.tree)


def _words(node: tuple | None, scored_only: bool) -> Iterable[str]:
    if node is None:
        return
    if node[0] == "word":
        yield node[1]
    elif node[0] == "not":
        if not scored_only:
            yield from _words(node[1], scored_only)
    else:
        for child in node[1]:
            yield from _words(child, scored_only)


def _has_phrase(node: tuple | None) -> bool:
    if node is None or node[0] == "word":
        return False
    if node[0] == "phrase":
        return True
    if node[0] == "not":
        return _has_phrase(node[1])
    return any(_has_phrase(child) for child in node[1])


def parse(text: str) -> ParsedQuery:
    """The query as PostgreSQL's websearch_to_tsquery reads it (the same as matching() searches for)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [SEARCH_CONFIG, text])
        (written,) = cursor.fetchone()
    return ParsedQuery(_TsqueryReader(written).read())


class _TsqueryReader:
    """Reads tsquery's text form: 'lexeme', !, <->, <N>, &, | (in that order of precedence) and parentheses."""

    TOKEN = re.compile(r"\s*(?:'((?:[^'\\]|''|\\.)*)'(:[A-D*]+)?|(<->|<\d+>|[!&|()]))")

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.rstrip()
        while position < len(text):
            found = self.TOKEN.match(text, position)
            if found is None:
                raise ValueError("unreadable tsquery")
            word, suffix, operator_ = found.groups()
            if word is not None:
                if suffix:  # weights or a prefix: never written by websearch_to_tsquery
                    raise ValueError("unexpected tsquery operand")
                self.tokens.append(("word", re.sub(r"''|\\(.)", lambda m: m.group(1) or "'", word)))
            else:
                self.tokens.append(("op", operator_))
            position = found.end()
        self.at = 0

    def read(self) -> tuple | None:
        if not self.tokens:
            return None
        node = self._any()
        if self.at != len(self.tokens):
            raise ValueError("unreadable tsquery")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) and self.tokens[self.at][0] == "op" else None

    def _binary(self, kind: str, operators: tuple[str, ...] | None, operand) -> tuple:
        nodes = [operand()]
        while (op := self._peek()) is not None and (op in operators if operators else re.fullmatch(r"<(-|\d+)>", op)):
            self.at += 1
            nodes.append(operand())
        return nodes[0] if len(nodes) == 1 else (kind, tuple(nodes))

    def _any(self) -> tuple:
        return self._binary("or", ("|",), self._all)

    def _all(self) -> tuple:
        return self._binary("and", ("&",), self._phrase)

    def _phrase(self) -> tuple:
        return self._binary("phrase", None, self._unary)

    def _unary(self) -> tuple:
        if self.at >= len(self.tokens):
            raise ValueError("unreadable tsquery")
        kind, value = self.tokens[self.at]
        self.at += 1
        if kind == "word":
            return ("word", value)
        if value == "!":
            return ("not", self._unary())
        if value == "(":
            node = self._any()
            if self._peek() != ")":
                raise ValueError("unreadable tsquery")
            self.at += 1
            return node
        raise ValueError("unreadable tsquery")


def score_buckets(matched: BitMap, words: Iterable[str], holding: Callable[[str, str], BitMap]
                  ) -> tuple[tuple[int, BitMap], ...]:
    """matched split by relevance(), best first; holding(word, weight) gives the providers whose search
    vector has the word with that weight."""
    buckets = {0: matched}
    for word in sorted(words):
        best, seen = [], BitMap()
        for weight, points in FIELD_POINTS:
            here = holding(word, weight) - seen
            seen |= here
            best.append((points, here))
        scored: dict[int, BitMap] = {}
        for score, providers in buckets.items():
            for points, here in [*best, (0, providers - seen)]:
                part = providers & here if points else here
                if part:
                    scored[score + points] = scored[score + points] | part if score + points in scored else part
        buckets = scored
    return tuple(sorted(buckets.items(), key=lambda item: -item[0]))
