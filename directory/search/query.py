"""A free-text query as PostgreSQL reads it, and the relevance rule, in SQL and over bitmaps side by side.

Relevance: the sum, over the words of the query, of the points of the best field each is found in
(FIELD_POINTS: name or practice 10, approach or concern 4, bio 2; a word excluded with -word is absent
from every match, so it adds nothing); ties by name. The SQL path (directory.search.text.matching) ranks
with Relevance, the text index (directory.search.text_index) with score_buckets(): the same order,
which the tests hold together.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Func, IntegerField
from pyroaring import BitMap

SEARCH_CONFIG = "english"


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


# The weight each field has in the stored vector (text._refresh_sql) and the points a word found there is worth,
# best first. Whole numbers, so that SQL and the bitmaps add them up alike.
FIELD_POINTS = (("A", 10), ("B", 4), ("C", 2), ("D", 1))


class Relevance(Func):
    """The rank of a provider for a free-text query: each word of the query (each lexeme to_tsvector gives it)
    counts the points of the best field the provider's search vector holds it in; a word it lacks, none.

    The words are read from PostgreSQL when the SQL is made (only when the query runs), then each row asks its
    vector which of them it holds, by weight ('word':A): no row is unpacked."""

    output_field = IntegerField()

    def __init__(self, text: str) -> None:
        super().__init__(F("search_vector"))
        self.text = text

    def as_sql(self, compiler, connection, **extra):
        vector, vector_params = compiler.compile(self.get_source_expressions()[0])
        parts, params = [], []
        for word in sorted(parse(self.text, connection).scored):
            best = " ".join(f"WHEN {vector} @@ %s::tsquery THEN {points}" for _, points in FIELD_POINTS)
            parts.append(f"(CASE {best} ELSE 0 END)")
            for weight, _ in FIELD_POINTS:
                params += [*vector_params, tsquery_operand(word, weight)]
        return (f"({' + '.join(parts)})" if parts else "0"), params


def tsquery_operand(word: str, weight: str) -> str:
    """A lexeme as a tsquery operand of one weight, exactly as PostgreSQL stemmed it ('word':A)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "':" + weight


@dataclass(frozen=True)
class ParsedQuery:
    """A free-text query as PostgreSQL reads it (websearch_to_tsquery): a tree of ("word", lexeme),
    ("not", node), ("and", nodes), ("or", nodes) and ("phrase", nodes); None when no word is left."""

    tree: tuple | None
    scored: frozenset[str] = frozenset()  # the lexemes that count for relevance (Relevance): to_tsvector's

    @property
    def words(self) -> set[str]:
        """Every lexeme of the query's tree."""
        return set(_words(self.tree))

    @property
    def has_phrase(self) -> bool:
        return _has_phrase(self.tree)


def _words(node: tuple | None) -> Iterable[str]:
    if node is None:
        return
    if node[0] == "word":
        yield node[1]
    elif node[0] == "not":
        yield from _words(node[1])
    else:
        for child in node[1]:
            yield from _words(child)


def _has_phrase(node: tuple | None) -> bool:
    if node is None or node[0] == "word":
        return False
    if node[0] == "phrase":
        return True
    if node[0] == "not":
        return _has_phrase(node[1])
    return any(_has_phrase(child) for child in node[1])


PARSE_SQL = ("SELECT websearch_to_tsquery(%(config)s::regconfig, %(text)s)::text AS tsquery,"
             " tsvector_to_array(to_tsvector(%(config)s::regconfig, %(text)s)) AS words")


def parse(text: str, using=connection) -> ParsedQuery:
    """The query as PostgreSQL's websearch_to_tsquery reads it (the same as matching() searches for)."""
    with using.cursor() as cursor:
        cursor.execute(PARSE_SQL, {"config": SEARCH_CONFIG, "text": text})
        return parsed(*cursor.fetchone())


def parsed(tsquery: str, scored: list[str]) -> ParsedQuery:
    """A ParsedQuery from what PARSE_SQL returns."""
    return ParsedQuery(_TsqueryReader(tsquery).read(), frozenset(scored))


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
