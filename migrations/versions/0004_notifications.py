"""notifications: digests, message preferences, calendar feeds, dedupe keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 17:32:48.324770

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('email_status', sa.String(length=10), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("email_status IN ('pending', 'sent', 'parked')", name=op.f('ck_email_digests_email_status')),
    sa.CheckConstraint("frequency IN ('daily', 'weekly')", name=op.f('ck_email_digests_frequency')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_email_digests_attempts_nonnegative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_digests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_digests')),
    sa.UniqueConstraint('message_id', name=op.f('uq_email_digests_message_id')),
    sa.UniqueConstraint('user_id', 'frequency', 'due_at', name=op.f('uq_email_digests_user_id_frequency_due_at'))
    )
    with op.batch_alter_table('email_digests', schema=None) as batch_op:
        batch_op.create_index('ix_email_digests_outbox', ['email_status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_frequency', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('digest_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=120), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_digest_id'), ['digest_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_notifications_dedupe_key'), ['dedupe_key'])
        batch_op.create_foreign_key(batch_op.f('fk_notifications_digest_id_email_digests'), 'email_digests', ['digest_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_notifications_email_status'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_notifications_email_status'),
            "email_status IN ('none', 'pending', 'digest', 'sent', 'parked')",
        )
        batch_op.create_check_constraint(
            op.f('ck_notifications_digest_has_frequency'),
            "(email_status = 'digest') = (digest_frequency IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            op.f('ck_notifications_digest_frequency'),
            "digest_frequency IS NULL OR digest_frequency IN ('daily', 'weekly')",
        )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_channel', sa.String(length=10), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('message_frequency', sa.String(length=10), server_default='immediate', nullable=False))
        batch_op.add_column(sa.Column('calendar_token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('calendar_token_created_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_calendar_token_hash'), ['calendar_token_hash'])
        batch_op.create_check_constraint(
            op.f('ck_users_message_channel'), "message_channel IN ('email', 'inbox')"
        )
        batch_op.create_check_constraint(
            op.f('ck_users_message_frequency'),
            "message_frequency IN ('immediate', 'daily', 'weekly')",
        )



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_message_frequency'), type_='check')
        batch_op.drop_constraint(op.f('ck_users_message_channel'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_users_calendar_token_hash'), type_='unique')
        batch_op.drop_column('calendar_token_created_at')
        batch_op.drop_column('calendar_token_hash')
        batch_op.drop_column('message_frequency')
        batch_op.drop_column('message_channel')

    op.execute("UPDATE notifications SET email_status = 'none', digest_frequency = NULL WHERE email_status = 'digest'")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_digest_frequency'), type_='check')
        batch_op.drop_constraint(op.f('ck_notifications_digest_has_frequency'), type_='check')
        batch_op.drop_constraint(op.f('ck_notifications_email_status'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_notifications_email_status'),
            "email_status IN ('none', 'pending', 'sent', 'parked')",
        )
        batch_op.drop_constraint(batch_op.f('fk_notifications_digest_id_email_digests'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_notifications_dedupe_key'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_notifications_digest_id'))
        batch_op.drop_column('dedupe_key')
        batch_op.drop_column('digest_id')
        batch_op.drop_column('digest_frequency')

    with op.batch_alter_table('email_digests', schema=None) as batch_op:
        batch_op.drop_index('ix_email_digests_outbox')

    op.drop_table('email_digests')
