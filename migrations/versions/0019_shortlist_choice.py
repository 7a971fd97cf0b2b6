"""the department's choice from a shortlist: a proposal awaiting it is never confirmed

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 18:00:00

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


@contextmanager
def _sqlite_tables_rebuilt():
    """As in 0013 and 0014: SQLite adds a CHECK by rebuilding the table, with foreign keys
    off (other tables point to matches: goal confirmations, survey answers, webhook
    deliveries), checked afterwards. PostgreSQL alters in place."""
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
    with _sqlite_tables_rebuilt(), op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("awaiting_choice", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_matches_awaiting_choice_unconfirmed"),
            "NOT awaiting_choice OR (confirmed_at IS NULL AND source = 'solver')",
        )


def downgrade():
    with _sqlite_tables_rebuilt(), op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_matches_awaiting_choice_unconfirmed"), type_="check")
        batch_op.drop_column("awaiting_choice")
