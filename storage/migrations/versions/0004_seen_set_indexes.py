"""indexes for the crawler's seen set: one source's recent articles and rejections

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain CREATE INDEX: no batch mode, which would rebuild tables on SQLite.
    op.create_index("ix_articles_source_fetched", "articles", ["source", "fetched"])
    op.create_index("ix_rejections_source_recorded_at", "rejections", ["source", "recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_rejections_source_recorded_at", table_name="rejections")
    op.drop_index("ix_articles_source_fetched", table_name="articles")
