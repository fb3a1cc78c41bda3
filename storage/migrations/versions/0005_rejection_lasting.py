"""rejections.lasting: whether a rejected URL joins the crawler's seen set

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN with a constant default: no batch mode, no table rebuild on SQLite.
    op.add_column(
        "rejections",
        sa.Column("lasting", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("rejections", "lasting")
