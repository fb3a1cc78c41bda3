"""source boilerplate

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_boilerplate",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("block_key", sa.String(length=32), nullable=False),
        sa.Column("learned_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "block_key", name=op.f("pk_source_boilerplate")),
    )


def downgrade() -> None:
    op.drop_table("source_boilerplate")
