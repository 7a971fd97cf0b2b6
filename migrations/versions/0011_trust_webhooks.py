"""trust webhooks: a URL and secret per trust, and the webhook outbox (one row per match
and event, so a placement is announced exactly once)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 15:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "trust_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("secret_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("length(url) >= 8", name=op.f("ck_trust_webhooks_url_not_blank")),
        sa.ForeignKeyConstraint(
            ["trust_id"], ["trusts.id"], name=op.f("fk_trust_webhooks_trust_id_trusts")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_trust_webhooks_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_webhooks")),
        sa.UniqueConstraint("trust_id", name=op.f("uq_trust_webhooks_trust_id")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("delivery_status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(delivery_status = 'pending') = (next_attempt_at IS NOT NULL)",
            name=op.f("ck_webhook_deliveries_pending_has_next_attempt"),
        ),
        sa.CheckConstraint(
            "event IN ('placement.accepted')", name=op.f("ck_webhook_deliveries_event")
        ),
        sa.CheckConstraint(
            "delivery_status <> 'delivered' OR delivered_at IS NOT NULL",
            name=op.f("ck_webhook_deliveries_delivered_has_time"),
        ),
        sa.CheckConstraint(
            "delivery_status IN ('pending', 'delivered', 'failed')",
            name=op.f("ck_webhook_deliveries_delivery_status"),
        ),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("ck_webhook_deliveries_attempts_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_webhook_deliveries_match_id_matches")
        ),
        sa.ForeignKeyConstraint(
            ["trust_id"], ["trusts.id"], name=op.f("fk_webhook_deliveries_trust_id_trusts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("event_id", name=op.f("uq_webhook_deliveries_event_id")),
        sa.UniqueConstraint("match_id", "event", name=op.f("uq_webhook_deliveries_match_id_event")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_outbox", ["delivery_status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_webhook_deliveries_trust_created", ["trust_id", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_trust_created")
        batch_op.drop_index("ix_webhook_deliveries_outbox")

    op.drop_table("webhook_deliveries")
    op.drop_table("trust_webhooks")
