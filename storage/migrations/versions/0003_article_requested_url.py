"""article requested url

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("requested_url", sa.String(length=2048), nullable=True))


def downgrade() -> None:
    op.drop_column("articles", "requested_url")
