"""lottery seeds per region and season; the region a matching run covers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lottery_seeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('season', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('seed_sha256', sa.String(length=64), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('season BETWEEN 2000 AND 2100', name=op.f('ck_lottery_seeds_season_range')),
    sa.CheckConstraint('length(seed) = 64', name=op.f('ck_lottery_seeds_seed_length')),
    sa.CheckConstraint('length(seed_sha256) = 64', name=op.f('ck_lottery_seeds_seed_sha256_length')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_lottery_seeds_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lottery_seeds')),
    sa.UniqueConstraint('region_id', 'season', name=op.f('uq_lottery_seeds_region_id_season')),
    sa.UniqueConstraint('seed_sha256', name=op.f('uq_lottery_seeds_seed_sha256'))
    )
    with op.batch_alter_table('lottery_seeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lottery_seeds_region_id'), ['region_id'], unique=False)

    with op.batch_alter_table('matching_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_matching_runs_region_id'), ['region_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_matching_runs_region_id_regions'), 'regions', ['region_id'], ['id'])


def downgrade():
    with op.batch_alter_table('matching_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_matching_runs_region_id_regions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_matching_runs_region_id'))
        batch_op.drop_column('region_id')

    with op.batch_alter_table('lottery_seeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lottery_seeds_region_id'))

    op.drop_table('lottery_seeds')
