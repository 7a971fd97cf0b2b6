"""data versions: a token that every commit changing what the engine reads draws anew, so
that a page can keep what it computed from that data until it changes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 18:00:00

"""

import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "data_versions",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.CheckConstraint("length(token) = 32", name=op.f("ck_data_versions_token_length")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    op.bulk_insert(table, [{"name": "matching", "token": secrets.token_hex(16)}])


def downgrade():
    op.drop_table("data_versions")
