"""data protection: when a person erased their account (users.erased_at, an erased account
is inactive) and when the retention job reduced a matching run to its aggregates
(matching_runs.reduced_at, a reduced run keeps no problem or result)

Revision ID: 0019
Revises: 0014
Create Date: 2026-12-06 17:40:00

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0014"
branch_labels = None
depends_on = None


@contextmanager
def _sqlite_tables_rebuilt():
    """As in 0013 and 0014: SQLite adds a CHECK by rebuilding the table, with foreign keys
    off (other tables point to users and matching_runs), checked afterwards. PostgreSQL
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
    with _sqlite_tables_rebuilt():
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
            batch_op.create_check_constraint(
                op.f("ck_users_erased_inactive"), "erased_at IS NULL OR active = false"
            )
        with op.batch_alter_table("matching_runs", schema=None) as batch_op:
            batch_op.add_column(sa.Column("reduced_at", sa.DateTime(timezone=True), nullable=True))
            batch_op.create_check_constraint(
                op.f("ck_matching_runs_reduced_without_problem"),
                "reduced_at IS NULL OR (problem IS NULL AND result IS NULL)",
            )


def downgrade():
    with _sqlite_tables_rebuilt():
        with op.batch_alter_table("matching_runs", schema=None) as batch_op:
            batch_op.drop_constraint(
                op.f("ck_matching_runs_reduced_without_problem"), type_="check"
            )
            batch_op.drop_column("reduced_at")
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_users_erased_inactive"), type_="check")
            batch_op.drop_column("erased_at")
