"""decline reason: what a GP says when declining a proposal or an offer

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_matches_decline_reason_when_declined'),
            "decline_reason IS NULL OR status = 'declined'",
        )


def downgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_matches_decline_reason_when_declined'), type_='check')
        batch_op.drop_column('decline_reason')
