"""a run's problem and result in a table of their own (matching_run_data): SQLite keeps a
row's columns together, so a list of runs that read a column stored after them walked every
run's megabytes to reach it

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 18:10:00

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


@contextmanager
def _sqlite_tables_rebuilt():
    """As in 0013: SQLite drops a column by rebuilding the table, with foreign keys off
    (matches point to matching_runs), checked afterwards. PostgreSQL alters in place."""
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
        "matching_run_data",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["matching_runs.id"],
            name=op.f("fk_matching_run_data_run_id_matching_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_matching_run_data")),
    )
    op.execute(
        "INSERT INTO matching_run_data (run_id, problem, result)"
        " SELECT id, problem, result FROM matching_runs"
        " WHERE problem IS NOT NULL OR result IS NOT NULL"
    )
    with _sqlite_tables_rebuilt():
        with op.batch_alter_table("matching_runs", schema=None) as batch_op:
            batch_op.drop_column("problem")
            batch_op.drop_column("result")


def downgrade():
    with _sqlite_tables_rebuilt():
        with op.batch_alter_table("matching_runs", schema=None) as batch_op:
            batch_op.add_column(sa.Column("problem", sa.JSON(), nullable=True))
            batch_op.add_column(sa.Column("result", sa.JSON(), nullable=True))
    op.execute(
        "UPDATE matching_runs SET"
        " problem = (SELECT d.problem FROM matching_run_data d WHERE d.run_id = matching_runs.id),"
        " result = (SELECT d.result FROM matching_run_data d WHERE d.run_id = matching_runs.id)"
    )
    op.drop_table("matching_run_data")
