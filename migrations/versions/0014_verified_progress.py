"""verified progress measures: per GP and per measure (months in general practice, courses,
supervision-group months) the verified value, who verified it and when

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 16:30:00

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# measure -> the short name its constraints carry
MEASURES = {
    "months_general_practice": "months_gp",
    "courses_completed": "courses",
    "supervision_group_months": "supervision",
}


@contextmanager
def _sqlite_tables_rebuilt():
    """As in 0013: SQLite adds a CHECK by rebuilding the table, with foreign keys off
    (other tables point to gps), checked afterwards. PostgreSQL alters in place."""
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
        with op.batch_alter_table("gps", schema=None) as batch_op:
            for measure, short in MEASURES.items():
                batch_op.add_column(sa.Column(f"{measure}_verified", sa.Integer(), nullable=True))
                batch_op.add_column(
                    sa.Column(f"{measure}_verified_by_id", sa.Integer(), nullable=True)
                )
                batch_op.add_column(
                    sa.Column(f"{measure}_verified_at", sa.DateTime(timezone=True), nullable=True)
                )
                batch_op.create_foreign_key(
                    batch_op.f(f"fk_gps_{measure}_verified_by_id_users"),
                    "users",
                    [f"{measure}_verified_by_id"],
                    ["id"],
                )
                batch_op.create_check_constraint(
                    op.f(f"ck_gps_{short}_verification_whole"),
                    f"({measure}_verified IS NULL AND {measure}_verified_by_id IS NULL"
                    f" AND {measure}_verified_at IS NULL) OR ({measure}_verified >= 0"
                    f" AND {measure}_verified_by_id IS NOT NULL"
                    f" AND {measure}_verified_at IS NOT NULL)",
                )
        with op.batch_alter_table("policies", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "verified_progress_only",
                    sa.Boolean(),
                    server_default=sa.false(),
                    nullable=False,
                )
            )


def downgrade():
    with _sqlite_tables_rebuilt():
        with op.batch_alter_table("policies", schema=None) as batch_op:
            batch_op.drop_column("verified_progress_only")
        with op.batch_alter_table("gps", schema=None) as batch_op:
            for measure, short in MEASURES.items():
                batch_op.drop_constraint(op.f(f"ck_gps_{short}_verification_whole"), type_="check")
                batch_op.drop_constraint(
                    batch_op.f(f"fk_gps_{measure}_verified_by_id_users"), type_="foreignkey"
                )
                batch_op.drop_column(f"{measure}_verified_at")
                batch_op.drop_column(f"{measure}_verified_by_id")
                batch_op.drop_column(f"{measure}_verified")
