"""data protection: when a person erased their account (users.erased_at, an erased account
is inactive) and when the retention job reduced a matching run to its aggregates
(matching_runs.reduced_at and reduced; a reduced run keeps no problem or result: its
matching_run_data row points at the run as not reduced)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 17:40:00

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
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
            batch_op.add_column(
                sa.Column("reduced", sa.Boolean(), nullable=False, server_default=sa.false())
            )
            batch_op.create_check_constraint(
                op.f("ck_matching_runs_reduced_when_dated"), "reduced = (reduced_at IS NOT NULL)"
            )
            batch_op.create_unique_constraint(
                op.f("uq_matching_runs_id_reduced"), ["id", "reduced"]
            )
        # A run's data row points at the run *as not reduced*: the database refuses to mark a
        # run reduced while its problem and result are kept, and to keep them for a reduced run.
        with op.batch_alter_table("matching_run_data", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("run_reduced", sa.Boolean(), nullable=False, server_default=sa.false())
            )
            batch_op.create_check_constraint(
                op.f("ck_matching_run_data_of_a_run_not_reduced"), "run_reduced = false"
            )
            batch_op.drop_constraint(
                op.f("fk_matching_run_data_run_id_matching_runs"), type_="foreignkey"
            )
            batch_op.create_foreign_key(
                op.f("fk_matching_run_data_run_id_matching_runs"),
                "matching_runs",
                ["run_id", "run_reduced"],
                ["id", "reduced"],
                ondelete="CASCADE",
            )


def downgrade():
    with _sqlite_tables_rebuilt():
        with op.batch_alter_table("matching_run_data", schema=None) as batch_op:
            batch_op.drop_constraint(
                op.f("fk_matching_run_data_run_id_matching_runs"), type_="foreignkey"
            )
            batch_op.drop_constraint(
                op.f("ck_matching_run_data_of_a_run_not_reduced"), type_="check"
            )
            batch_op.drop_column("run_reduced")
            batch_op.create_foreign_key(
                op.f("fk_matching_run_data_run_id_matching_runs"),
                "matching_runs",
                ["run_id"],
                ["id"],
                ondelete="CASCADE",
            )
        with op.batch_alter_table("matching_runs", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("uq_matching_runs_id_reduced"), type_="unique")
            batch_op.drop_constraint(op.f("ck_matching_runs_reduced_when_dated"), type_="check")
            batch_op.drop_column("reduced")
            batch_op.drop_column("reduced_at")
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_users_erased_inactive"), type_="check")
            batch_op.drop_column("erased_at")
