"""Full-text search over article titles and texts, with one meaning on SQLite and PostgreSQL.

SQLite: an FTS5 table (``articles_fts``, external content: the ``articles``
rows), kept in sync by triggers on insert, delete and on updates of the title
or text. PostgreSQL: a stored generated ``tsvector`` column (``articles.search``)
with a GIN index. Both are created by migration 0007, tokenise with Unicode
word characters, fold case and keep accents (FTS5's ``unicode61
remove_diacritics 0``, PostgreSQL's ``simple`` configuration).

The FTS5 table keeps no word positions (``detail=none``): it costs half the
time of a full index when articles are stored (0.15 against 0.27 ms for an
article of 650 words), which keeps grouping above its bar of 1,000 articles a
second. It still finds the articles that have every word of a query, words and
prefixes alike; a phrase is then checked in those articles' title or text with
a regular expression (SQLAlchemy registers ``REGEXP`` on SQLite connections):
the words in order with nothing but separators between them.

A query is words, ``"quoted phrases"`` and ``prefix*`` words, all of which
must match (AND). Anything else in it (operators, brackets, column filters,
quotes left open) is not syntax: only its words count. The query is parsed
here into plain words and handed to the database as a bound parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from sqlalchemy import ColumnElement, Integer, Table, false, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Article

__all__ = [
    "FTS_OBJECTS",
    "Term",
    "fts5_query",
    "include_name",
    "matches",
    "parse_query",
    "phrase_pattern",
    "tsquery",
]

# Schema objects of the search that the models do not describe (see migration 0007).
FTS_OBJECTS = frozenset({"articles_fts", "search", "ix_articles_search"})


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name``: leave the search objects (and FTS5's tables) out.

    They are made by hand in migration 0007, not from the models, so comparing
    the models with the database must not see them.
    """
    return not (name in FTS_OBJECTS or (name or "").startswith("articles_fts"))


# A word: letters and digits (an underscore or an apostrophe separates words, as
# in both databases' tokenisers).
_WORD = re.compile(r"[^\W_]+")
# A quoted phrase, or a run of other characters, optionally ending with "*".
_TOKEN = re.compile(r'"([^"]*)"|([^\s"]+)')


@dataclass(frozen=True)
class Term:
    """Words that must appear one after the other; the last one as a prefix if ``prefix``."""

    words: tuple[str, ...]
    prefix: bool = False


def parse_query(query: str) -> list[Term]:
    """Split a search query into terms (all must match).

    Example:
        >>> parse_query('"hon hai" foxc* state-run')
        [Term(words=('hon', 'hai'), prefix=False), Term(words=('foxc',), prefix=True), \
Term(words=('state', 'run'), prefix=False)]
    """
    terms = []
    for quoted, bare in _TOKEN.findall(query):
        words = tuple(w.lower() for w in _WORD.findall(quoted or bare))
        if words:
            terms.append(Term(words, prefix=bool(bare) and bare.endswith("*")))
    return terms


def fts5_query(terms: list[Term]) -> str:
    """The FTS5 MATCH expression of ``terms``: each word quoted (so no operator), all required.

    The index keeps no positions, so a phrase asks here only for its words (the
    last one as a prefix if the term is one); :func:`phrase_pattern` checks the order.
    """
    return " AND ".join(
        f'"{word}"' + ("*" if t.prefix and i == len(t.words) - 1 else "")
        for t in terms
        for i, word in enumerate(t.words)
    )


def phrase_pattern(term: Term) -> str:
    """A regular expression that finds ``term``'s words in order, as whole words.

    Words are separated by anything that is not a letter or digit (as the
    tokenisers see them); the last word may be a prefix.

    Example:
        >>> bool(re.search(phrase_pattern(Term(("hon", "hai"))), "Hon-Hai Precision"))
        True
        >>> bool(re.search(phrase_pattern(Term(("hon", "hai"))), "Python hai"))
        False
    """
    first, *rest = (re.escape(w) for w in term.words)
    # The first word, then a look back at what precedes it: led by a literal, the
    # search skips ahead to it (3 times as fast as a look-behind at every position).
    pattern = rf"(?i){first}(?<![^\W_]{first})" + "".join(rf"[\W_]+{w}" for w in rest)
    return pattern + ("" if term.prefix else r"(?![^\W_])")


def tsquery(terms: list[Term]) -> str:
    """The ``to_tsquery`` text of ``terms``: words joined by ``<->`` (phrases) and ``&``."""
    parts = []
    for t in terms:
        words = list(t.words)
        if t.prefix:
            words[-1] += ":*"
        parts.append("(" + " <-> ".join(words) + ")" if len(words) > 1 else words[0])
    return " & ".join(parts)


def matches(
    article_id: ColumnElement[int] | InstrumentedAttribute[int], dialect: str, query: str
) -> ColumnElement[bool]:
    """A condition on ``article_id``: the article matches ``query`` (on ``dialect``).

    A query without a word matches nothing.
    """
    terms = parse_query(query)
    if not terms:
        return false()
    if dialect == "postgresql":
        ids = text(
            "SELECT id FROM articles WHERE search @@ to_tsquery('simple', :search_query)"
        ).bindparams(search_query=tsquery(terms))
    else:
        ids = text(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :search_query"
        ).bindparams(search_query=fts5_query(terms))
        phrases = [t for t in terms if len(t.words) > 1]
        if phrases:
            # The articles with every word, then those with each phrase in order (an
            # alias: the outer query may be on articles too, and must not correlate).
            found = cast(Table, Article.__table__).alias("searched")
            checked = (
                select(found.c.id)
                .where(found.c.id.in_(ids.columns(id=Integer)))
                .where(
                    *(
                        or_(found.c.title.regexp_match(p), found.c.text.regexp_match(p))
                        for p in map(phrase_pattern, phrases)
                    )
                )
            )
            return article_id.in_(checked)
    return article_id.in_(ids.columns(id=Integer))
