"""Grouping v2: the scheme of signatures, copy changes, group merges, corrections

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE TABLE: no batch mode, so no table is rebuilt on
    # SQLite (a rebuild would drop triggers such as full-text ones).
    # Signatures stored before this revision are re-signed from their text when used.
    op.add_column(
        "article_signatures",
        sa.Column("scheme", sa.String(length=60), server_default="v1", nullable=False),
    )
    op.add_column("articles", sa.Column("changes", sa.JSON(), nullable=True))
    op.add_column("story_groups", sa.Column("merged_into", sa.Integer(), nullable=True))
    op.create_index("ix_story_groups_merged_into", "story_groups", ["merged_into"])
    op.create_table(
        "group_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("other_group_id", sa.Integer(), nullable=True),
        sa.Column("article_ids", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_corrections")),
    )


def downgrade() -> None:
    op.drop_table("group_corrections")
    op.drop_index("ix_story_groups_merged_into", table_name="story_groups")
    op.drop_column("story_groups", "merged_into")
    op.drop_column("articles", "changes")
    op.drop_column("article_signatures", "scheme")
