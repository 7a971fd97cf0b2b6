"""application rounds: a policy's intake (continuous or rounds), the rounds' dates, the round
that matched a period

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 17:40:00

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


@contextmanager
def _sqlite_tables_rebuilt():
    """As in 0013 and 0014: SQLite adds a CHECK or a foreign key by rebuilding the table, with
    foreign keys off (matches and forbids point to periods), checked afterwards. PostgreSQL
    alters in place."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys = OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        raise
    else:
        bind.exec_driver_sql("COMMIT")
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys = ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade():
    op.create_table(
        "application_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("apply_by", sa.Date(), nullable=False),
        sa.Column("match_on", sa.Date(), nullable=False),
        sa.Column("answer_by", sa.Date(), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("matched_run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "match_on >= apply_by", name=op.f("ck_application_rounds_match_after_deadline")
        ),
        sa.CheckConstraint(
            "answer_by > match_on", name=op.f("ck_application_rounds_answer_after_match")
        ),
        sa.CheckConstraint(
            "(matched_at IS NULL AND matched_run_id IS NULL)"
            " OR (matched_at IS NOT NULL AND matched_run_id IS NOT NULL)",
            name=op.f("ck_application_rounds_matched_whole"),
        ),
        sa.ForeignKeyConstraint(
            ["matched_run_id"],
            ["matching_runs.id"],
            name=op.f("fk_application_rounds_matched_run_id_matching_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["policies.id"],
            name=op.f("fk_application_rounds_policy_id_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_rounds")),
        sa.UniqueConstraint(
            "policy_id", "apply_by", name=op.f("uq_application_rounds_policy_id_apply_by")
        ),
    )
    with op.batch_alter_table("application_rounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_rounds_policy_id"), ["policy_id"], unique=False
        )
    with _sqlite_tables_rebuilt():
        with op.batch_alter_table("policies", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "intake", sa.String(length=12), server_default="continuous", nullable=False
                )
            )
            batch_op.create_check_constraint(
                op.f("ck_policies_intake"), "intake IN ('continuous', 'rounds')"
            )
        with op.batch_alter_table("periods", schema=None) as batch_op:
            batch_op.add_column(sa.Column("application_round_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f("fk_periods_application_round_id_application_rounds"),
                "application_rounds",
                ["application_round_id"],
                ["id"],
                ondelete="SET NULL",
            )


def downgrade():
    with _sqlite_tables_rebuilt():
        with op.batch_alter_table("periods", schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f("fk_periods_application_round_id_application_rounds"),
                type_="foreignkey",
            )
            batch_op.drop_column("application_round_id")
        with op.batch_alter_table("policies", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_policies_intake"), type_="check")
            batch_op.drop_column("intake")
    with op.batch_alter_table("application_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_rounds_policy_id"))
    op.drop_table("application_rounds")
