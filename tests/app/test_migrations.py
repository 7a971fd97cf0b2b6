"""``flask db upgrade`` on an empty database yields exactly the models, on this backend."""

import json
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db

from .conftest import TEST_CONFIG
from .dbutil import fresh_database

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


@pytest.fixture
def empty_app(tmp_path):
    with fresh_database(tmp_path) as url:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()


@contextmanager
def own_session():
    """A session on the migrated database with the reference data loaded (the suite's own
    session is bound to the suite's database), put back afterwards."""
    from app.reference.loader import load_reference_data

    test_session = db.session
    db.session = db._make_scoped_session({"bind": db.engine})
    try:
        load_reference_data()
        db.session.commit()
        yield
    finally:
        db.session.remove()
        db.session = test_session


def model_checks_and_indexes():
    checks, indexes = {}, {}
    for table in db.metadata.sorted_tables:
        checks[table.name] = {
            c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)
        }
        indexes[table.name] = {(i.name, bool(i.unique)) for i in table.indexes}
    return checks, indexes


def test_upgrade_yields_exactly_the_models(empty_app):
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
        assert diff == [], diff
        inspector = sa.inspect(connection)
        checks, indexes = model_checks_and_indexes()
        for table, names in checks.items():
            found = {c["name"] for c in inspector.get_check_constraints(table)}
            assert found == names, table
        for table, expected in indexes.items():
            found = {
                (i["name"], bool(i["unique"]))
                for i in inspector.get_indexes(table)
                if "duplicates_constraint" not in i  # PostgreSQL: a UNIQUE constraint's index
            }
            assert found == expected, table
        assert set(inspector.get_table_names()) == set(db.metadata.tables) | {"alembic_version"}


def test_downgrade_and_upgrade_again(empty_app):
    upgrade(directory=MIGRATIONS)
    downgrade(directory=MIGRATIONS, revision="base")
    with db.engine.connect() as connection:
        assert sa.inspect(connection).get_table_names() == ["alembic_version"]
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as connection:
        assert "matches" in sa.inspect(connection).get_table_names()


def _run_records():
    """The rows of the run records and the runs' summaries, without their ids."""
    from app.models import MatchingRun, RunBlockingPair, RunGPReasons, RunRegion

    def rows(model, *columns):
        return sorted(
            tuple(repr(getattr(row, c)) for c in columns)
            for row in db.session.scalars(sa.select(model))
        )

    return {
        "regions": rows(
            RunRegion,
            "run_id",
            "region_id",
            "committed",
            "mode",
            "placements",
            "passed_over",
            "alt_mode",
            "alt_placements",
            "period_ids",
        ),
        "pairs": rows(
            RunBlockingPair,
            "run_id",
            "region_id",
            "gp_id",
            "period_id",
            "department_id",
            "cause",
            "reason",
            "holder_id",
            "full_from",
        ),
        "gps": rows(RunGPReasons, "run_id", "region_id", "gp_id", "reasons"),
        "summaries": {r.id: r.summary for r in db.session.scalars(sa.select(MatchingRun))},
    }


def test_runs_blocking_pairs_and_reasons_move_out_of_their_json(empty_app):
    """Issue 18, migration 0011: runs stored before it kept their blocking pairs in the
    summary and the engine's reasons only in the result JSON; the migration writes the
    rows the run service writes now, and compacts the summaries (and back)."""
    from . import factories
    from .test_run_records import pinned, run

    upgrade(directory=MIGRATIONS)
    with own_session():
        coordinator = factories.make_user("coordinator", region_code="helse-vest")
        pinned(coordinator, 3)
        run(coordinator)
        run(coordinator, dry_run=False)
        made = _run_records()
        assert len(made["pairs"]) == 6 and made["gps"] and len(made["regions"]) == 2
        db.session.remove()

        downgrade(directory=MIGRATIONS, revision="0011")  # as runs were stored before
        with db.engine.connect() as connection:
            summaries = connection.execute(sa.text("SELECT summary FROM matching_runs")).all()
            assert len(summaries) == 2
            for (summary,) in summaries:
                stored = summary if isinstance(summary, dict) else json.loads(summary)
                vest = stored["regions"]["helse-vest"]
                assert len(vest["blocking_pairs"]) == 3 and "blocking_pairs_by_cause" not in vest
            assert "run_blocking_pairs" not in sa.inspect(connection).get_table_names()

        upgrade(directory=MIGRATIONS)
        assert _run_records() == made


def test_municipality_role_migration_keeps_data_and_refuses_to_drop_accounts(empty_app):
    """Migration 0013 rebuilds users, GPs and windows on SQLite: with rows in them (and rows
    pointing at them) both ways; going down with municipality accounts is refused."""
    from . import factories

    upgrade(directory=MIGRATIONS)
    with own_session():
        gp = factories.make_gp(municipality_number="4601")
        factories.make_window(gp)
        municipality_id = factories.make_user("municipality", municipality_numbers=["4601"]).id
        name = gp.name
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="0013")  # below the later migrations first
        with pytest.raises(SystemExit):  # Flask-Migrate logs the RuntimeError and exits
            downgrade(directory=MIGRATIONS, revision="0012")
        with db.engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert version.scalar() == "0013"
        with db.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM audit_events"))
            connection.execute(sa.text("DELETE FROM user_municipalities"))
            connection.execute(sa.text("DELETE FROM users WHERE id = :id"), {"id": municipality_id})
        downgrade(directory=MIGRATIONS, revision="0012")
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            names = connection.execute(sa.text("SELECT name FROM gps")).scalars().all()
            windows = connection.execute(sa.text("SELECT count(*) FROM availabilities"))
            assert names == [name] and windows.scalar() == 1


def test_verified_progress_migration_keeps_gps_both_ways(empty_app):
    """Migration 0014 rebuilds gps on SQLite (the verification columns and their CHECKs):
    the GPs and the rows pointing at them stay, down and up again."""
    from app.gps import verification

    from . import factories

    upgrade(directory=MIGRATIONS)
    with own_session():
        gp = factories.make_gp(municipality_number="4601", months_general_practice=40)
        factories.make_window(gp)
        coordinator = factories.make_user("coordinator", region_code="helse-vest")
        verification.verify(gp, actor=coordinator)
        db.session.commit()
        name = gp.name
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="0013")
        with db.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("gps")}
            assert "months_general_practice_verified" not in columns
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT name, months_general_practice_verified FROM gps")
            ).all()
            windows = connection.execute(sa.text("SELECT count(*) FROM availabilities"))
            assert [tuple(r) for r in rows] == [(name, None)] and windows.scalar() == 1


def test_run_data_moves_to_its_own_table_and_back(empty_app):
    """Migration 0016 moves each run's problem and result to matching_run_data (SQLite
    rebuilds matching_runs, which matches point to); down and up again keeps them."""
    upgrade(directory=MIGRATIONS, revision="0015")
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO matching_runs (id, as_of, dry_run, triggered_by, status,"
                " started_at, proposals, advertised, expired, problem, result)"
                " VALUES (7, '2026-01-05', false, 'nightly', 'succeeded', '2026-01-05 02:00',"
                " 1, 0, 0, :problem, :result)"
            ),
            {"problem": '{"helse-vest": {"gps": []}}', "result": '{"helse-vest": {"x": 1}}'},
        )
        connection.execute(
            sa.text(
                "INSERT INTO matching_runs (id, as_of, dry_run, triggered_by, status,"
                " started_at, proposals, advertised, expired)"
                " VALUES (8, '2026-01-06', false, 'manual', 'failed', '2026-01-06 02:00', 0, 0, 0)"
            )
        )
    upgrade(directory=MIGRATIONS, revision="0016")
    with db.engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("matching_runs")}
        assert "problem" not in columns and "result" not in columns
        rows = connection.execute(
            sa.text("SELECT run_id, problem, result FROM matching_run_data")
        ).all()
        assert [(r[0], json.loads(r[1]) if isinstance(r[1], str) else r[1]) for r in rows] == [
            (7, {"helse-vest": {"gps": []}})
        ]
    downgrade(directory=MIGRATIONS, revision="0015")
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, result FROM matching_runs ORDER BY id")).all()
        found = [(r[0], json.loads(r[1]) if isinstance(r[1], str) else r[1]) for r in rows]
        assert found == [(7, {"helse-vest": {"x": 1}}), (8, None)]


def test_learning_goals_migration_down_and_up(empty_app):
    """Migration 0017 adds the learning goals, the goals periods offer, the confirmations,
    the evaluation rows and the survey answers; going down drops them with their rows (the
    periods and matches stay), going up again gives empty tables."""
    from app.learning import services, surveys

    from . import factories

    upgrade(directory=MIGRATIONS)
    with own_session():
        gp = factories.make_gp(municipality_number="4601")
        period = factories.make_period()
        match = factories.make_proposal(period, gp, status="offered", accept_by=period.start_date)
        from app import lifecycle

        lifecycle.accept(match, actor=gp.user)
        period.end_date = period.start_date + (period.end_date - period.start_date) // 2
        db.session.commit()
        today = period.end_date + (period.end_date - period.start_date)
        services.confirm_goals(match, "gp", ["ALM-055"], actor=gp.user, today=today)
        answers = surveys.SurveyAnswers(overall=4, learning=4, arrangements=4)
        surveys.submit(match, "gp", answers, actor=gp.user, today=today)
        db.session.commit()
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="0014")
        with db.engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            assert not tables & {"learning_goals", "survey_responses", "reached_goals"}
            assert connection.execute(sa.text("SELECT count(*) FROM matches")).scalar() == 1
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            for table in ("learning_goals", "survey_responses", "goal_confirmations"):
                count = connection.execute(sa.text(f"SELECT count(*) FROM {table}"))
                assert count.scalar() == 0, table


def test_data_protection_migration_keeps_users_and_runs_both_ways(empty_app):
    """Migration 0018 rebuilds users and matching_runs on SQLite (erased_at, reduced_at and
    their CHECKs): the rows and the rows pointing at them stay, down and up again."""
    from app.models import MatchingRun

    from . import factories

    upgrade(directory=MIGRATIONS)
    with own_session():
        gp = factories.make_gp(municipality_number="4601")
        factories.make_window(gp)
        db.session.add(MatchingRun(as_of=gp.created_at.date(), status="failed"))
        db.session.commit()
        name = gp.name
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="0017")
        with db.engine.connect() as connection:
            inspector = sa.inspect(connection)
            assert "erased_at" not in {c["name"] for c in inspector.get_columns("users")}
            assert "reduced_at" not in {c["name"] for c in inspector.get_columns("matching_runs")}
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT u.erased_at, g.name FROM users u JOIN gps g ON g.user_id = u.id")
            ).all()
            runs = connection.execute(sa.text("SELECT reduced_at FROM matching_runs")).all()
            windows = connection.execute(sa.text("SELECT count(*) FROM availabilities"))
            assert [tuple(r) for r in rows] == [(None, name)] and [tuple(r) for r in runs] == [
                (None,)
            ]
            assert windows.scalar() == 1


def test_shortlist_choice_migration_keeps_matches_and_their_guards(empty_app):
    """Migration 0019 rebuilds matches on SQLite (awaiting_choice and its CHECK): the
    matches stay, down and up again, and the one-live-match-per-period index still holds."""
    from . import factories

    upgrade(directory=MIGRATIONS)
    with own_session():
        period = factories.make_period("ahus")
        factories.make_window(factories.make_gp(municipality_number="3205"))
        factories.make_proposal(period, factories.make_gp(municipality_number="3205"))
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="0018")
        with db.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("matches")}
            assert "awaiting_choice" not in columns
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT status, awaiting_choice FROM matches"))
            assert [(s, bool(a)) for s, a in rows] == [("proposed", False)]
            indexes = {i["name"] for i in sa.inspect(connection).get_indexes("matches")}
            assert {"uq_matches_live_period", "uq_matches_live_gp_slot"} <= indexes
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            # a confirmed proposal cannot wait for the department's choice
            connection.execute(
                sa.text(
                    "UPDATE matches SET awaiting_choice = :yes, confirmed_at = CURRENT_TIMESTAMP"
                ),
                {"yes": True},
            )


def test_application_rounds_migration_keeps_policies_and_periods_both_ways(empty_app):
    """Migration 0020 rebuilds policies and periods on SQLite (the intake and its CHECK, the
    period's round): the rules, the periods and the matches pointing at them stay, down to
    0019 and up again."""
    from . import factories

    upgrade(directory=MIGRATIONS)
    with own_session():
        period = factories.make_period()
        factories.make_proposal(period, factories.make_gp())
        db.session.commit()
        period_id = period.id
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="0019")
        with db.engine.connect() as connection:
            inspector = sa.inspect(connection)
            assert "intake" not in {c["name"] for c in inspector.get_columns("policies")}
            assert "application_rounds" not in inspector.get_table_names()
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            intakes = connection.execute(sa.text("SELECT DISTINCT intake FROM policies"))
            assert [r[0] for r in intakes] == ["continuous"]
            rows = connection.execute(
                sa.text("SELECT id, application_round_id FROM periods WHERE id = :id"),
                {"id": period_id},
            ).all()
            matches = connection.execute(sa.text("SELECT count(*) FROM matches")).scalar()
            assert [tuple(r) for r in rows] == [(period_id, None)] and matches == 1


def test_split_placements_migration_keeps_matches_both_ways(empty_app):
    """Migration 0021 rebuilds windows and matches on SQLite (split_allowed, the slot and
    its CHECKs, the per-slot index) and adds the triggers: the rows stay down and up again;
    down, a GP's second live block ends (one live match per GP again)."""
    from datetime import timedelta

    from app.lifecycle.transitions import fixture_writes
    from app.models import Match

    from . import factories

    upgrade(directory=MIGRATIONS)
    with own_session():
        gp = factories.make_gp(municipality_number="4601")
        window = factories.make_window(gp)
        first = factories.make_period(months=3)
        second = factories.make_period(start=first.end_date + timedelta(days=1), months=3)
        with fixture_writes():
            window.split_allowed = True
            for slot, period in ((1, first), (2, second)):
                db.session.add(Match(period=period, gp=gp, slot=slot, source="coordinator"))
        db.session.commit()
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="0020")
        with db.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("matches")}
            assert "slot" not in columns
            rows = connection.execute(sa.text("SELECT status FROM matches ORDER BY id")).all()
            assert [r[0] for r in rows] == ["proposed", "cancelled"]
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT slot, status FROM matches ORDER BY id"))
            assert [tuple(r) for r in rows] == [(1, "proposed"), (1, "cancelled")]
            split = connection.execute(sa.text("SELECT split_allowed FROM availabilities"))
            assert [bool(r[0]) for r in split] == [False]


def _match_triggers(connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'matches'"
            )
        )
    else:
        rows = connection.execute(
            sa.text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
                " AND tgrelid = 'matches'::regclass"
            )
        )
    return {r[0] for r in rows}


def test_the_split_triggers_exist_after_upgrade_and_0022_comes_and_goes(empty_app):
    """The table rebuilds of SQLite's batch mode drop a table's triggers: 0021's triggers
    (no second block without a split, no overlap) come after its rebuilds and no later
    migration rebuilds matches; 0022 adds the months-in-all triggers beside them, and its
    downgrade removes only its own."""
    blocks = {
        "sqlite": {"trg_matches_live_blocks_insert", "trg_matches_live_blocks_update"},
        "postgresql": {"trg_matches_live_blocks"},
    }
    months = {
        "sqlite": {"trg_matches_live_months_insert", "trg_matches_live_months_update"},
        "postgresql": {"trg_matches_live_months"},
    }
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as connection:
        name = connection.dialect.name
        assert _match_triggers(connection) == blocks[name] | months[name]
    downgrade(directory=MIGRATIONS, revision="0021")
    with db.engine.connect() as connection:
        assert _match_triggers(connection) == blocks[name]
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as connection:
        assert _match_triggers(connection) == blocks[name] | months[name]
