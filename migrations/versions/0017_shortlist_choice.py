"""the department's choice from a shortlist: a proposal awaiting it is never confirmed

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-06 18:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("awaiting_choice", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_matches_awaiting_choice_unconfirmed"),
            "NOT awaiting_choice OR (confirmed_at IS NULL AND source = 'solver')",
        )


def downgrade():
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_matches_awaiting_choice_unconfirmed"), type_="check")
        batch_op.drop_column("awaiting_choice")
