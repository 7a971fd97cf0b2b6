"""``flask db upgrade`` on an empty database yields exactly the models, on this backend."""

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
