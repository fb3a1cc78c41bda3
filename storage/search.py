"""Full-text search over article titles and texts, with one meaning on SQLite and PostgreSQL.

SQLite: an FTS5 table (``articles_fts``, external content: the ``articles``
rows), kept in sync by triggers on insert, delete and on updates of the title
or text. PostgreSQL: a stored generated ``tsvector`` column (``articles.search``)
with a GIN index. Both are created by migration 0007, tokenise with Unicode
word characters, fold case and keep accents (FTS5's ``unicode61
remove_diacritics 0``, PostgreSQL's ``simple`` configuration).

A query is words, ``"quoted phrases"`` and ``prefix*`` words, all of which
must match (AND). Anything else in it (operators, brackets, column filters,
quotes left open) is not syntax: only its words count. The query is parsed
here into plain words and handed to the database as a bound parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, false, text
from sqlalchemy.orm import InstrumentedAttribute

__all__ = [
    "FTS_OBJECTS",
    "Term",
    "fts5_query",
    "include_name",
    "matches",
    "parse_query",
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
    """The FTS5 MATCH expression of ``terms``: quoted strings only, so no operator."""
    return " AND ".join('"' + " ".join(t.words) + '"' + ("*" if t.prefix else "") for t in terms)


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
    return article_id.in_(ids.columns(id=Integer))
