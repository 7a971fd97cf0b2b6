"""the municipality role: users scoped to municipalities, endorsed windows, the
municipality's priority among its GPs, and the region rule that matches only endorsed windows

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 15:30:00

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ROLES_OLD = "role IN ('gp', 'trust', 'coordinator', 'admin')"
ROLES_NEW = "role IN ('gp', 'trust', 'coordinator', 'admin', 'municipality')"
SCOPE_OLD = (
    "(role = 'trust' AND trust_id IS NOT NULL AND region_id IS NULL)"
    " OR (role = 'coordinator' AND trust_id IS NULL)"
    " OR (role IN ('gp', 'admin') AND trust_id IS NULL AND region_id IS NULL)"
)
SCOPE_NEW = (
    "(role = 'trust' AND trust_id IS NOT NULL AND region_id IS NULL)"
    " OR (role = 'coordinator' AND trust_id IS NULL)"
    " OR (role IN ('gp', 'admin', 'municipality') AND trust_id IS NULL"
    " AND region_id IS NULL)"
)


@contextmanager
def _sqlite_tables_rebuilt():
    """SQLite changes a CHECK by rebuilding the table (batch mode), and dropping a table that
    other rows point to fails while foreign keys are enforced, so the rebuild runs with them
    off, as SQLite's own procedure says: outside a transaction, checked afterwards
    (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
    Changes"). PostgreSQL alters in place."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("COMMIT")  # the migrations before this one are done
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
        bind.exec_driver_sql("BEGIN IMMEDIATE")  # alembic records the version and commits


def _user_checks(role: str, scope: str) -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.drop_constraint(op.f("ck_users_role_scope"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_role"), role)
        batch_op.create_check_constraint(op.f("ck_users_role_scope"), scope)


def upgrade():
    with _sqlite_tables_rebuilt():
        _upgrade()


def _upgrade():
    _user_checks(ROLES_NEW, SCOPE_NEW)
    op.create_table(
        "user_municipalities",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_user_municipalities_municipality_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_municipalities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "municipality_id", name=op.f("pk_user_municipalities")),
    )
    with op.batch_alter_table("user_municipalities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_municipalities_municipality_id"), ["municipality_id"], unique=False
        )
    with op.batch_alter_table("availabilities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("endorsed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("endorsed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_availabilities_endorsed_by_id_users"), "users", ["endorsed_by_id"], ["id"]
        )
        batch_op.create_check_constraint(
            op.f("ck_availabilities_endorsement_whole"),
            "(endorsed_at IS NULL AND endorsed_by_id IS NULL)"
            " OR (endorsed_at IS NOT NULL AND endorsed_by_id IS NOT NULL)",
        )
    with op.batch_alter_table("gps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipality_priority", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_gps_municipality_priority_range"),
            "municipality_priority IS NULL OR municipality_priority BETWEEN 1 AND 9999",
        )
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "endorsement_required", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    bind = op.get_bind()
    accounts = bind.execute(sa.text("SELECT count(*) FROM users WHERE role = 'municipality'"))
    if accounts.scalar():
        raise RuntimeError(
            "municipality accounts exist: remove them before going back below 0013"
        )
    with _sqlite_tables_rebuilt():
        _downgrade()


def _downgrade():
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.drop_column("endorsement_required")
    with op.batch_alter_table("gps", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_gps_municipality_priority_range"), type_="check")
        batch_op.drop_column("municipality_priority")
    with op.batch_alter_table("availabilities", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_availabilities_endorsement_whole"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_availabilities_endorsed_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("endorsed_by_id")
        batch_op.drop_column("endorsed_at")
    with op.batch_alter_table("user_municipalities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_municipalities_municipality_id"))
    op.drop_table("user_municipalities")
    _user_checks(ROLES_OLD, SCOPE_OLD)
