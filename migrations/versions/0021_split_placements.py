"""split placements (3 + 3 months): a window may allow a split; a GP holds at most two live
matches (a slot each), the second only when their window allows a split, never overlapping;
a period may run over two departments (second_department_id from switch_date)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 18:00:00

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

LIVE = "status IN ('proposed', 'offered', 'accepted')"
LIVE_NEW = "NEW.status IN ('proposed', 'offered', 'accepted')"
# Another live match of the same GP: then the GP's window (the latest) must allow a split.
SECOND = (
    "EXISTS (SELECT 1 FROM matches m WHERE m.gp_id = NEW.gp_id AND m.id {ne} NEW.id"
    " AND m.status IN ('proposed', 'offered', 'accepted'))"
    " AND NOT COALESCE((SELECT a.split_allowed FROM availabilities a"
    " WHERE a.gp_id = NEW.gp_id ORDER BY a.id DESC LIMIT 1), {false})"
)
# Another live match of the same GP whose period shares a day with this one.
OVERLAP = (
    "EXISTS (SELECT 1 FROM matches m JOIN periods p ON p.id = m.period_id"
    " JOIN periods q ON q.id = NEW.period_id"
    " WHERE m.gp_id = NEW.gp_id AND m.id {ne} NEW.id"
    " AND m.status IN ('proposed', 'offered', 'accepted')"
    " AND p.start_date <= q.end_date AND q.start_date <= p.end_date)"
)
SPLIT_NEEDED = "second_live_match_needs_split"
SECOND_DEPARTMENT_WHOLE = (
    "(second_department_id IS NULL AND switch_date IS NULL)"
    " OR (second_department_id IS NOT NULL AND switch_date > start_date"
    " AND switch_date <= end_date AND second_department_id <> department_id)"
)
OVERLAPPING = "live_matches_overlap"

SQLITE_TRIGGER = """
CREATE TRIGGER trg_matches_live_blocks_{event} BEFORE {what} ON matches
WHEN {live}
BEGIN
    SELECT RAISE(ABORT, '{split_needed}') WHERE {second};
    SELECT RAISE(ABORT, '{overlapping}') WHERE {overlap};
END
"""

POSTGRESQL_FUNCTION = """
CREATE FUNCTION matches_live_blocks() RETURNS trigger AS $$
BEGIN
    IF {live} THEN
        IF {second} THEN
            RAISE EXCEPTION '{split_needed}' USING ERRCODE = 'check_violation';
        END IF;
        IF {overlap} THEN
            RAISE EXCEPTION '{overlapping}' USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


@contextmanager
def _sqlite_tables_rebuilt():
    """As in 0013/0014: SQLite adds a CHECK by rebuilding the table, with foreign keys off
    (other tables point to these), checked afterwards. PostgreSQL alters in place."""
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


def _create_triggers():
    bind = op.get_bind()
    words = {"split_needed": SPLIT_NEEDED, "overlapping": OVERLAPPING, "live": LIVE_NEW}
    if bind.dialect.name == "sqlite":
        for event, what in (
            ("insert", "INSERT"),
            ("update", "UPDATE OF status, gp_id, period_id, slot"),
        ):
            op.execute(
                SQLITE_TRIGGER.format(
                    event=event,
                    what=what,
                    second=SECOND.format(ne="IS NOT", false="0"),
                    overlap=OVERLAP.format(ne="IS NOT"),
                    **words,
                )
            )
    else:
        op.execute(
            POSTGRESQL_FUNCTION.format(
                second=SECOND.format(ne="<>", false="false"),
                overlap=OVERLAP.format(ne="<>"),
                **words,
            )
        )
        op.execute(
            "CREATE TRIGGER trg_matches_live_blocks BEFORE INSERT OR UPDATE OF"
            " status, gp_id, period_id, slot ON matches"
            " FOR EACH ROW EXECUTE FUNCTION matches_live_blocks()"
        )


def _drop_triggers():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_matches_live_blocks_insert")
        op.execute("DROP TRIGGER IF EXISTS trg_matches_live_blocks_update")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_matches_live_blocks ON matches")
        op.execute("DROP FUNCTION IF EXISTS matches_live_blocks()")


def upgrade():
    with _sqlite_tables_rebuilt():
        with op.batch_alter_table("availabilities", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("split_allowed", sa.Boolean(), server_default=sa.false(), nullable=False)
            )
            batch_op.create_check_constraint(
                op.f("ck_availabilities_split_months"), "NOT split_allowed OR months >= 6"
            )
        with op.batch_alter_table("matches", schema=None) as batch_op:
            batch_op.add_column(sa.Column("slot", sa.Integer(), server_default="1", nullable=False))
            batch_op.create_check_constraint(op.f("ck_matches_slot_range"), "slot IN (1, 2)")
            batch_op.drop_index(
                "uq_matches_live_gp", sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE)
            )
            batch_op.create_index(
                "uq_matches_live_gp_slot",
                ["gp_id", "slot"],
                unique=True,
                sqlite_where=sa.text(LIVE),
                postgresql_where=sa.text(LIVE),
            )
        with op.batch_alter_table("periods", schema=None) as batch_op:
            batch_op.add_column(sa.Column("second_department_id", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("switch_date", sa.Date(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f("fk_periods_second_department_id_departments"),
                "departments",
                ["second_department_id"],
                ["id"],
            )
            batch_op.create_check_constraint(
                op.f("ck_periods_second_department_whole"), SECOND_DEPARTMENT_WHOLE
            )
    _create_triggers()


def downgrade():
    _drop_triggers()
    # a GP's second live block ends with the split (one live match per GP again)
    op.execute(
        f"UPDATE matches SET status = 'cancelled' WHERE slot = 2 AND {LIVE}"
        f" AND gp_id IN (SELECT gp_id FROM matches WHERE slot = 1 AND {LIVE})"
    )
    with _sqlite_tables_rebuilt():
        with op.batch_alter_table("periods", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_periods_second_department_whole"), type_="check")
            batch_op.drop_constraint(
                batch_op.f("fk_periods_second_department_id_departments"), type_="foreignkey"
            )
            batch_op.drop_column("switch_date")
            batch_op.drop_column("second_department_id")
        with op.batch_alter_table("matches", schema=None) as batch_op:
            batch_op.drop_index(
                "uq_matches_live_gp_slot",
                sqlite_where=sa.text(LIVE),
                postgresql_where=sa.text(LIVE),
            )
            batch_op.create_index(
                "uq_matches_live_gp",
                ["gp_id"],
                unique=True,
                sqlite_where=sa.text(LIVE),
                postgresql_where=sa.text(LIVE),
            )
            batch_op.drop_constraint(op.f("ck_matches_slot_range"), type_="check")
            batch_op.drop_column("slot")
        with op.batch_alter_table("availabilities", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_availabilities_split_months"), type_="check")
            batch_op.drop_column("split_allowed")
