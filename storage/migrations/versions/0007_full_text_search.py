"""Full-text search: an FTS5 table on SQLite, a tsvector column on PostgreSQL

Revision ID: 0007
Revises: 0006

See storage/search.py. No batch mode (it would rebuild ``articles`` on SQLite
and drop these triggers); later migrations that must rebuild ``articles`` on
SQLite have to create the triggers again.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SQLITE_UP = (
    # External content: the index holds no copy of the texts, it reads them from articles.
    # No positions (detail=none): half the cost per stored article; storage/search.py
    # checks phrases itself.
    "CREATE VIRTUAL TABLE articles_fts USING fts5("
    "title, text, content='articles', content_rowid='id', detail=none, "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    # Only a new title or text is indexed again, not the grouping's updates of a row.
    "CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
)
_POSTGRES_UP = (
    "ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple', coalesce(title, '') || ' ' || text)) STORED",
    "CREATE INDEX ix_articles_search ON articles USING gin (search)",
)
_POSTGRES_DOWN = (
    "DROP INDEX IF EXISTS ix_articles_search",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search",
)


def _run(statements: tuple[str, ...]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run(_POSTGRES_UP)
    else:
        _run(_SQLITE_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run(_POSTGRES_DOWN)
    else:
        _run(_SQLITE_DOWN)
