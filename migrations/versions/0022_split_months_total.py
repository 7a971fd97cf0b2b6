"""split placements: the database also refuses live matches of one GP whose periods' whole
calendar months add up to more than the months of the GP's window (issue 20 part 2, "at
most the wanted total"); beside 0021's triggers, which stay as they are

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 19:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TOO_LONG = "live_blocks_too_long"
LIVE = "('proposed', 'offered', 'accepted')"

# The whole calendar months the inclusive range p.start_date..p.end_date covers, as
# app.dates.months_covered counts them (app.matches.blocks.block_months): the largest k with
# add_months(start, k) <= end + 1 day, add_months clamping the day to a shorter month's end.
# With e = end + 1 day, add_months(start, k) lands in e's month for k = the months between
# start's month and e's month; that k counts when its day, min(start's day, the last day of
# e's month), is at most e's day (e's day >= start's day, or e is its month's last day);
# otherwise k - 1. Exact, not an approximation (tests/app/test_split_months_total.py
# compares it with months_covered day by day).
SQLITE_MONTHS = (
    "max(0, (CAST(strftime('%Y', date(p.end_date, '+1 day')) AS INTEGER)"
    " - CAST(strftime('%Y', p.start_date) AS INTEGER)) * 12"
    " + CAST(strftime('%m', date(p.end_date, '+1 day')) AS INTEGER)"
    " - CAST(strftime('%m', p.start_date) AS INTEGER)"
    " - CASE WHEN CAST(strftime('%d', date(p.end_date, '+1 day')) AS INTEGER)"
    " >= CAST(strftime('%d', p.start_date) AS INTEGER)"
    " OR strftime('%d', date(p.end_date, '+2 day')) = '01' THEN 0 ELSE 1 END)"
)
POSTGRESQL_MONTHS = (
    "GREATEST(0, ((EXTRACT(YEAR FROM p.end_date + 1) - EXTRACT(YEAR FROM p.start_date)) * 12"
    " + EXTRACT(MONTH FROM p.end_date + 1) - EXTRACT(MONTH FROM p.start_date)"
    " - CASE WHEN EXTRACT(DAY FROM p.end_date + 1) >= EXTRACT(DAY FROM p.start_date)"
    " OR EXTRACT(DAY FROM p.end_date + 2) = 1 THEN 0 ELSE 1 END)::integer)"
)
# The GP holds another live match, and the months of all their live matches' periods (this
# one's included, the row's old version not) exceed the months of their window (the latest,
# as 0021's triggers read it). A single live match is not counted: a period longer than the
# window's months is the app's to allow (app.matches.blocks.blocks_problem). No window:
# 0021's trigger refuses the second match first.
TOTAL = (
    "EXISTS (SELECT 1 FROM matches m WHERE m.gp_id = NEW.gp_id AND m.id {ne} NEW.id"
    f" AND m.status IN {LIVE})"
    " AND (SELECT COALESCE(SUM({months}), 0) FROM periods p"
    " WHERE p.id = NEW.period_id OR p.id IN (SELECT m.period_id FROM matches m"
    f" WHERE m.gp_id = NEW.gp_id AND m.id {{ne}} NEW.id AND m.status IN {LIVE}))"
    " > COALESCE((SELECT a.months FROM availabilities a"
    " WHERE a.gp_id = NEW.gp_id ORDER BY a.id DESC LIMIT 1), {no_limit})"
)
# Checked when the set of the GP's live periods changes: a row that becomes live, or a live
# row that moves to another GP or period. A live match's own next step (proposed, offered,
# accepted) changes no months, and the app does not check the total then either.
SQLITE_UPDATE_WHEN = (
    f"NEW.status IN {LIVE} AND (OLD.status NOT IN {LIVE}"
    " OR OLD.gp_id IS NOT NEW.gp_id OR OLD.period_id IS NOT NEW.period_id)"
)
POSTGRESQL_WHEN = (
    f"NEW.status IN {LIVE} AND (TG_OP = 'INSERT' OR OLD.status NOT IN {LIVE}"
    " OR OLD.gp_id IS DISTINCT FROM NEW.gp_id OR OLD.period_id IS DISTINCT FROM NEW.period_id)"
)

SQLITE_TRIGGER = """
CREATE TRIGGER trg_matches_live_months_{event} BEFORE {what} ON matches
WHEN {when}
BEGIN
    SELECT RAISE(ABORT, '{too_long}') WHERE {total};
END
"""

# PostgreSQL runs a table's triggers in name order: 0021's trg_matches_live_blocks (no
# split, overlap) before this one.
POSTGRESQL_FUNCTION = """
CREATE FUNCTION matches_live_months() RETURNS trigger AS $$
BEGIN
    IF {when} THEN
        IF {total} THEN
            RAISE EXCEPTION '{too_long}' USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

SQLITE_TRIGGERS = ("trg_matches_live_months_insert", "trg_matches_live_months_update")
POSTGRESQL_TRIGGERS = ("trg_matches_live_months",)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        total = TOTAL.format(ne="IS NOT", months=SQLITE_MONTHS, no_limit="1000000")
        for event, what, when in (
            ("insert", "INSERT", f"NEW.status IN {LIVE}"),
            ("update", "UPDATE OF status, gp_id, period_id", SQLITE_UPDATE_WHEN),
        ):
            op.execute(
                SQLITE_TRIGGER.format(
                    event=event, what=what, when=when, total=total, too_long=TOO_LONG
                )
            )
    else:
        # plpgsql: on INSERT, OLD is NULL and the OR after TG_OP = 'INSERT' reads NULLs
        op.execute(
            POSTGRESQL_FUNCTION.format(
                when=POSTGRESQL_WHEN,
                total=TOTAL.format(ne="<>", months=POSTGRESQL_MONTHS, no_limit="1000000"),
                too_long=TOO_LONG,
            )
        )
        op.execute(
            "CREATE TRIGGER trg_matches_live_months BEFORE INSERT OR UPDATE OF"
            " status, gp_id, period_id ON matches"
            " FOR EACH ROW EXECUTE FUNCTION matches_live_months()"
        )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_matches_live_months ON matches")
        op.execute("DROP FUNCTION IF EXISTS matches_live_months()")
