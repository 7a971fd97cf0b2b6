"""confirmation, offer days, confirmed and hired times

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:00:33.776473

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_matches_hired_when_accepted'), "hired_at IS NULL OR status = 'accepted'"
        )

    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation', sa.String(length=12), server_default='automatic', nullable=False))
        batch_op.add_column(sa.Column('offer_days', sa.Integer(), server_default='14', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_policies_confirmation'), "confirmation IN ('automatic', 'coordinator')"
        )
        batch_op.create_check_constraint(
            op.f('ck_policies_offer_days_range'), "offer_days BETWEEN 1 AND 90"
        )



def downgrade():
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_policies_offer_days_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_policies_confirmation'), type_='check')
        batch_op.drop_column('offer_days')
        batch_op.drop_column('confirmation')

    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_matches_hired_when_accepted'), type_='check')
        batch_op.drop_column('hired_at')
        batch_op.drop_column('confirmed_at')

